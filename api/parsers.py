"""The JSON parser of every write endpoint, with a bound on nesting (RELIABILITY.md A11).

Python's JSON decoder recurses once per level: a body nested a thousand levels deep raised RecursionError,
a 500. Nothing the API accepts is nested more than a few levels, so anything deeper than MAX_JSON_DEPTH is
refused with a 400 that says why, whether the decoder gave up on it or not.
"""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 400
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."


def depth_exceeds(value: object, limit: int) -> bool:
    """True when lists/objects in `value` are nested more than `limit` levels (iterative, any depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
