import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE = 10_000
_INTEGER = re.compile(r"-?[0-9]{1,12}")


def _bounded_int(request, name: str, *, minimum: int, maximum: int) -> int | None:
    """The query parameter ``name`` as an integer in ``minimum..maximum``, None when absent, else a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not _INTEGER.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise ValidationError({name: [f"Enter a whole number from {minimum} to {maximum}."]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` (1 to 10,000) and ``?page_size=`` (1 to 100); the body carries count, next and previous.

    A value outside those bounds, or not a whole number, is a 400 ``validation_error`` naming the
    parameter, as the schema documents (the API's one request rule, ``controlpanel.api.contract``);
    a page past the end gives the last page.
    """

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        page_size = _bounded_int(request, self.page_size_query_param, minimum=1, maximum=self.max_page_size)
        return self.page_size if page_size is None else page_size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        number = _bounded_int(request, self.page_query_param, minimum=1, maximum=MAX_PAGE) or 1
        paginator = self.django_paginator_class(queryset, page_size)
        self.page = paginator.get_page(number)
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.page_query_param: (1, MAX_PAGE), self.page_size_query_param: (1, self.max_page_size)}
        for parameter in parameters:
            if parameter["name"] in bounds:
                minimum, maximum = bounds[parameter["name"]]
                parameter["schema"] = {**parameter["schema"], "minimum": minimum, "maximum": maximum}
        return parameters
