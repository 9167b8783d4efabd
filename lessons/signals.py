"""Signals the lessons app sends for other apps to react to (it imports none of them).

``lessons_changed`` is sent by every lessons service that creates, updates, publishes,
unpublishes or deletes lessons, inside that service's transaction, with
``lesson_ids: list[int]``. The search index and caches subscribe to it, so they change in the
same transaction as the catalog.

``lesson_completed`` is sent by ``lesson_complete`` inside its transaction, once per learner and
lesson (the first completion only), with ``user``, ``lesson``, ``record`` (the LessonProgress)
and ``at`` (the completion time; set only for backdated writes such as the demo seed). The
progress app records the category step, the history event and the streak in the same
transaction, so a completion and its progress commit or roll back together.
"""

from django.dispatch import Signal

lessons_changed = Signal()
lesson_completed = Signal()
