"""How search follows the catalog (lessons never imports search): every change re-indexes in the writer's transaction.

``lessons_changed`` covers the lessons services (including bulk updates that send no model
signal); ``post_save``/``post_delete`` cover the admin, fixtures and direct saves. A lesson
saved by a service is indexed twice, which is idempotent. A category rename re-indexes its
lessons, since the category name is searchable.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lessons.models import Category, Lesson
from lessons.signals import lessons_changed
from search import services


@receiver(lessons_changed, dispatch_uid="search.index_changed_lessons")
def index_changed_lessons(sender, *, lesson_ids, **kwargs):
    services.search_index_update(lesson_ids=lesson_ids)


@receiver(post_save, sender=Lesson, dispatch_uid="search.index_saved_lesson")
def index_saved_lesson(sender, instance, **kwargs):
    services.search_index_update(lesson_ids=[instance.pk])


@receiver(post_delete, sender=Lesson, dispatch_uid="search.unindex_deleted_lesson")
def unindex_deleted_lesson(sender, instance, **kwargs):
    services.search_index_update(lesson_ids=[instance.pk])


@receiver(post_save, sender=Category, dispatch_uid="search.index_renamed_category")
def index_renamed_category(sender, instance, created, **kwargs):
    if not created:
        services.search_index_update_category(category_id=instance.pk)
