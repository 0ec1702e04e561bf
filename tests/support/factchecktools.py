"""A loopback stand-in for Google Fact Check Tools `v1alpha1/claims:search`.

Wire format as Google serves it: `GET /v1alpha1/claims:search?query=&languageCode=&pageSize=&key=` →
`{"claims": [{"text", "claimant", "claimDate", "claimReview": [{"publisher": {"name", "site"}, "url",
"title", "reviewDate", "textualRating", "languageCode"}]}], "nextPageToken"}`; no match → `{}`.
Errors in Google's JSON error shape (`{"error": {"code", "message", "status", "details"}}`), selected by
`mode`: "429" (RESOURCE_EXHAUSTED), "403_quota" (daily quota), "400_key" (API_KEY_INVALID),
"403_disabled" (API not enabled), "500", "503", "hang".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.loopback import LoopbackServer, Request, Response, json_response

VALID_KEY = "test-key-123"
PATH = "/v1alpha1/claims:search"


def _error(code: int, status: str, message: str, reason: str = "") -> Response:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "factchecktools.googleapis.com"},
            }
        ]
    return json_response(code, {"error": error})


class FactCheckToolsServer(LoopbackServer):
    def __init__(self, claims: list[dict] | None = None, *, key: str = VALID_KEY, mode: str = "ok") -> None:
        super().__init__(mode=mode)
        self.claims = list(claims if claims is not None else SAMPLE_CLAIMS)
        self.key = key

    @property
    def url(self) -> str:
        return f"{self.base_url}{PATH}"

    def failure(self, request: Request) -> Response | None:
        if self.mode == "429":
            return _error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service "
                "'factchecktools.googleapis.com' for consumer 'project_number:123'.",
                "RATE_LIMIT_EXCEEDED",
            )
        if self.mode == "403_quota":
            return _error(
                403,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per day'.",
                "RATE_LIMIT_EXCEEDED",
            )
        if self.mode == "400_key":
            return _error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
            )
        if self.mode == "403_disabled":
            return _error(
                403,
                "PERMISSION_DENIED",
                "Fact Check Tools API has not been used in project 123 before or it is disabled.",
                "SERVICE_DISABLED",
            )
        return super().failure(request)

    def route(self, request: Request) -> Response:
        if request.path != PATH:
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        key = request.query.get("key", "")
        if not key:
            return _error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        if key != self.key:
            return _error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
            )
        query = request.query.get("query", "")
        if not query:
            return _error(400, "INVALID_ARGUMENT", "Either query or reviewPublisherSiteFilter is required.")
        words = {w for w in re.findall(r"\w+", query.lower()) if len(w) > 2}
        lang = request.query.get("languageCode", "")
        found = []
        for claim in self.claims:
            reviews = [r for r in claim["claimReview"] if not lang or r.get("languageCode", "en") == lang]
            if not reviews:
                continue
            haystack = set(re.findall(r"\w+", (claim["text"] + " " + reviews[0].get("title", "")).lower()))
            if words and len(words & haystack) >= max(1, len(words) // 2):
                found.append({**claim, "claimReview": reviews})
        size = int(request.query.get("pageSize", "10") or 10)
        if not found:
            return json_response(200, {})
        payload: dict[str, Any] = {"claims": found[:size]}
        if len(found) > size:
            payload["nextPageToken"] = "CAo"
        return json_response(200, payload)


def review(
    text: str,
    rating: str,
    url: str,
    *,
    title: str = "",
    publisher: str = "Full Fact",
    site: str = "fullfact.org",
    lang: str = "en",
    claimant: str = "Social media users",
    date: str = "2024-03-01T00:00:00Z",
) -> dict:
    return {
        "text": text,
        "claimant": claimant,
        "claimDate": date,
        "claimReview": [
            {
                "publisher": {"name": publisher, "site": site},
                "url": url,
                "title": title or f"Fact check: {text}",
                "reviewDate": date.replace("03-01", "03-04"),
                "textualRating": rating,
                "languageCode": lang,
            }
        ],
    }


SAMPLE_CLAIMS = [
    review(
        "Polar bears are going extinct because of global warming",
        "Mostly true",
        "https://fullfact.example/polar-bears-extinct",
        title="Are polar bears going extinct? Global warming and sea ice",
    ),
    review(
        "The Eiffel Tower was completed in 1925",
        "False",
        "https://factcheck.example/eiffel-1925",
        title="No, the Eiffel Tower was not completed in 1925",
        publisher="AFP Factuel",
        site="factuel.afp.com",
    ),
]


def start(claims: list[dict] | None = None, **kwargs) -> FactCheckToolsServer:
    return FactCheckToolsServer(claims, **kwargs).start()


@pytest.fixture
def factchecktools_server() -> Iterator[FactCheckToolsServer]:
    """A Fact Check Tools stand-in over SAMPLE_CLAIMS; key `VALID_KEY`, URL `factchecktools_server.url`."""
    with FactCheckToolsServer() as server:
        yield server
