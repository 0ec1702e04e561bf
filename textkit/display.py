"""Text cut to fit a place on a page: at a word boundary, with an ellipsis, never mid-word."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, width: int) -> str:
    """`text` with its whitespace collapsed, cut to at most `width` characters at the last word boundary,
    ending in an ellipsis when anything was cut. A first word longer than `width` (a URL) is cut inside."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - len(ELLIPSIS) + 1]
    boundary = cut.rfind(" ")
    cut = cut[:boundary] if boundary > 0 else cut[: width - len(ELLIPSIS)]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS
