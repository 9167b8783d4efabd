"""Signals the lessons app sends for other apps to react to (it imports none of them).

``lessons_changed`` is sent by every lessons service that creates, updates, publishes,
unpublishes or deletes lessons, inside that service's transaction, with
``lesson_ids: list[int]``. The search index and caches subscribe to it, so they change in the
same transaction as the catalog.
"""

from django.dispatch import Signal

lessons_changed = Signal()
