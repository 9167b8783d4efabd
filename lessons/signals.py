"""The one signal the lessons app sends for other apps to react to (it imports none of them).

``lessons_changed`` is sent by every lessons service that creates, updates, publishes,
unpublishes or deletes lessons, inside that service's transaction, with
``lesson_ids: list[int]``. The search index subscribes to it, so it changes in the same
transaction as the catalog. Core use cases are plain function calls, never signals: a
learner's completion is ``progress.services.lesson_complete``.
"""

from django.dispatch import Signal

lessons_changed = Signal()
