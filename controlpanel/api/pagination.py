from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100); the body carries count, next and previous."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        """Like DRF's, but a page number that is not a page gives the nearest one, never a 404.

        ``?page=0``, ``?page=-3`` or ``?page=abc`` give the first page and a number past the end
        gives the last one (Django's ``Paginator.get_page``), so a list answers 200 for any query
        string and its schema documents every status it returns.
        """
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        self.page = paginator.get_page(self.get_page_number(request, paginator))
        return list(self.page)

    def get_paginated_response_schema(self, schema):
        return super().get_paginated_response_schema(schema)
