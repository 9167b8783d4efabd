"""How search follows the catalog (lessons never imports search): every change re-indexes in the writer's transaction.

``lessons_changed`` is the one catalog-changed reaction: every lessons service that creates,
updates, publishes, unpublishes or deletes lessons sends it inside its transaction (the admin
is read-only for lessons and calls those services). A category rename re-indexes its lessons,
since the category name is searchable; categories have no service, so that is a model signal.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from lessons.models import Category
from lessons.signals import lessons_changed
from search import services


@receiver(lessons_changed, dispatch_uid="search.index_changed_lessons")
def index_changed_lessons(sender, *, lesson_ids, **kwargs):
    services.search_index_update(lesson_ids=lesson_ids)


@receiver(post_save, sender=Category, dispatch_uid="search.index_renamed_category")
def index_renamed_category(sender, instance, created, **kwargs):
    if not created:
        services.search_index_update_category(category_id=instance.pk)
