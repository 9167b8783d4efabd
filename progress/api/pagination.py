from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from controlpanel.api.pagination import PageNumberPagination


def _is_moment(text: str) -> bool:
    """Whether a cursor's position is an aware date-time, as the positions this list writes are."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        return False
    return moment is not None and moment.tzinfo is not None and 2 <= moment.year <= 9998


class HistoryPagination(CursorPagination):
    """A learner's history in pages, newest first, each page reached from the ``next`` link of the one before.

    A page is a keyset read (events older than the last one shown, through the learner's
    time index): it costs the same for a learner with fifty events as for one with fifty
    thousand, where a numbered page would count the whole history and skip over every event
    before it (docs/performance.md P7). So the body carries ``next`` and ``previous`` links and
    no ``count``. ``page_size`` keeps the bounds every list has (1 to 100, else a 400); a
    ``cursor`` that is not one this API gave out is a 400 ``validation_error`` naming it.
    """

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = PageNumberPagination.max_page_size
    cursor_query_description = "Where the page starts: copy it from the `next` or `previous` link of the page before."
    get_page_size = PageNumberPagination.get_page_size

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or cursor.position is None or _is_moment(cursor.position)
        if not valid:
            raise ValidationError({self.cursor_query_param: ["Not a cursor of this list: follow a next or previous link."]})
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": self.max_page_size}
        return parameters
