"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest.

No API operation takes a body nested more than a few levels, yet ``json`` recurses once per
level, so a body like ``[[[[...]]]]`` a thousand levels deep raised ``RecursionError`` (a 500)
on every JSON endpoint, the anonymous ones included. Here such a body, and any body nested
deeper than :data:`MAX_DEPTH`, is a ``ParseError``: a 400 ``parse_error`` in the envelope.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

# Levels of arrays and objects a request body may nest (the scalar leaves do not count).
MAX_DEPTH = 32
TOO_DEEP = f"The request body nests too deeply (at most {MAX_DEPTH} levels of arrays and objects)."


def nesting_depth(value, limit: int = MAX_DEPTH) -> int:
    """Levels of lists and dicts in ``value``; stops counting once ``limit`` is passed.

    Iterative, so measuring never recurses however deep the value is.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(DRFJSONParser):
    """DRF's JSON parser; a body nested deeper than ``MAX_DEPTH`` is a parse error, never a 500."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting_depth(data, self.max_depth) > self.max_depth:
            raise ParseError(TOO_DEEP)
        return data
