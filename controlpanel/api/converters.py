"""Path converters shared by the API's routers (every router is path-based: ``use_regex_path=False``)."""

from django.urls import register_converter


class RowIdConverter:
    """A database row id: 1 to 18 digits, so an oversized number is a 404, never an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(RowIdConverter, "rowid")
