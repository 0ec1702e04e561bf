"""Conditional GET for the read endpoints besides the verdict feed: an ETag derived from what the response
says, and 304 Not Modified when the client's If-None-Match names it (RFC 9110 weak comparison, as the feed
does: api/feed.py).

The tag is a digest of the data as serialised plus the renderer's format (JSON and the browsable page are
different representations). The server still reads and serialises the data: what a 304 saves is the body
on the wire and the client's work, which is the cheap part to get right here, and it is right by
construction (any change to the data changes the tag).
"""

from __future__ import annotations

import hashlib

import orjson
from rest_framework import status
from rest_framework.response import Response

from api.feed import etag_matches

CACHE_CONTROL = "private, no-cache"  # clients may keep it but must revalidate: a verdict can come any time


def digest(data, request) -> str:
    renderer = getattr(request, "accepted_renderer", None)
    payload = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
    hashed = hashlib.blake2b(payload, digest_size=12)
    hashed.update(f"|{getattr(renderer, 'format', '')}".encode())
    return hashed.hexdigest()


def conditional_response(request, data, *, tag: str, content_type: str | None = None) -> Response:
    """200 with `data` and its ETag `"<tag>.<digest>"`, or 304 (no body) when If-None-Match matches it."""
    etag = f'"{tag}.{digest(data, request)}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(data, headers=headers, content_type=content_type)
