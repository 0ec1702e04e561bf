"""A loopback stand-in for a SearxNG instance, which also serves the result pages themselves.

`GET /search?q=&format=json&language=&pageno=` → SearxNG's JSON: `{"query", "number_of_results",
"results": [{"url", "title", "content", "engine", "engines", "parsed_url", "score", "category",
"publishedDate"}], "answers", "corrections", "infoboxes", "suggestions", "unresponsive_engines"}`.
`format=json` disabled (SearxNG's default `search.formats: [html]`) → 403 Forbidden, as SearxNG answers;
`mode`: "json_disabled", "429" (its limiter), "500", "503", "hang".
Pages: `pages = {slug: (title, html)}` are served at `/page/<slug>` and are what the search finds;
`extra_results` are returned for every query (e.g. pages of another server). `page_delay` and
`hanging_pages` shape the page fetches (benchmark P4).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.loopback import LoopbackServer, Request, Response, html_response, json_response


def article_html(title: str, paragraphs: list[str], *, date: str = "2024-05-02") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>"
        f"<meta property='article:published_time' content='{date}T10:00:00Z'></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/about'>About us</a> | <a href='/subscribe'>Subscribe</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2024 Example News. All rights reserved. Cookie settings.</footer></body></html>"
    )


class SearxNGServer(LoopbackServer):
    def __init__(
        self,
        pages: dict[str, tuple[str, str]] | None = None,
        *,
        extra_results: list[dict] | None = None,
        mode: str = "ok",
        page_delay: float = 0.0,
        hanging_pages: set[str] | None = None,
        max_results: int = 50,
    ) -> None:
        super().__init__(mode=mode)
        self.pages = dict(pages if pages is not None else SAMPLE_PAGES)
        self.extra_results = list(extra_results or [])
        self.page_delay = page_delay
        self.hanging_pages = set(hanging_pages or ())
        self.max_results = max_results

    def page_url(self, slug: str) -> str:
        return f"{self.base_url}/page/{slug}"

    def _is_page(self, request: Request) -> bool:
        return request.path.startswith("/page/")

    def request_delay(self, request: Request) -> float:
        return self.page_delay if self._is_page(request) else self.delay

    def should_hang(self, request: Request) -> bool:
        if self._is_page(request):
            return request.path.removeprefix("/page/") in self.hanging_pages
        return self.mode == "hang"

    def failure(self, request: Request) -> Response | None:
        if self._is_page(request):
            return None  # failure modes are about the search API; pages are shaped by delay/hang
        if self.mode == "json_disabled" and request.query.get("format") == "json":
            return html_response("<!DOCTYPE html><title>403 Forbidden</title><h1>Forbidden</h1>", 403)
        if self.mode == "429":
            return 429, {"Content-Type": "text/plain"}, b"Too Many Requests"
        return super().failure(request)

    def route(self, request: Request) -> Response:
        if self._is_page(request):
            slug = request.path.removeprefix("/page/")
            if slug not in self.pages:
                return html_response("<h1>Not found</h1>", 404)
            return html_response(self.pages[slug][1])
        if request.path != "/search":
            return html_response("<h1>Not found</h1>", 404)
        query = request.query.get("q", "")
        if request.query.get("format") != "json":
            return html_response(f"<html><body>results for {query}</body></html>")
        words = {w for w in re.findall(r"\w+", query.lower()) if len(w) > 2}
        results = []
        for slug, (title, page_html) in self.pages.items():
            text = re.sub(r"<[^>]+>", " ", page_html).lower()
            hits = sum(1 for w in words if w in text)
            if words and hits >= max(1, len(words) // 3):
                results.append((hits, slug, title, text))
        results.sort(key=lambda r: (-r[0], r[1]))
        payload_results = []
        for position, (_, slug, title, text) in enumerate(results[: self.max_results], start=1):
            url = self.page_url(slug)
            payload_results.append(_result(url, title, " ".join(text.split())[:200], position))
        for extra in self.extra_results:
            payload_results.append(
                _result(extra["url"], extra.get("title", ""), extra.get("content", ""), 99)
            )
        return json_response(
            200,
            {
                "query": query,
                "number_of_results": 0,
                "results": payload_results,
                "answers": [],
                "corrections": [],
                "infoboxes": [],
                "suggestions": [],
                "unresponsive_engines": [],
            },
        )


def _result(url: str, title: str, content: str, position: int) -> dict:
    parts = urlsplit(url)
    return {
        "url": url,
        "title": title,
        "content": content,
        "engine": "duckduckgo",
        "engines": ["duckduckgo", "brave"],
        "parsed_url": [parts.scheme, parts.netloc, parts.path, "", parts.query, ""],
        "template": "default.html",
        "positions": [position],
        "score": round(2.0 / position, 4),
        "category": "general",
        "publishedDate": "2024-05-02T10:00:00",
        "thumbnail": "",
    }


SAMPLE_PAGES = {
    "arctic-ice": (
        "Arctic sea ice and the polar bear",
        article_html(
            "Arctic sea ice and the polar bear",
            [
                "Polar bears depend on sea ice to hunt seals, and global warming is shrinking that ice.",
                "Researchers say polar bear populations could decline sharply by 2050 if warming continues.",
                "The local council also discussed parking fees on Tuesday.",
            ],
        ),
    ),
    "paris-landmarks": (
        "Paris landmarks",
        article_html(
            "Paris landmarks",
            [
                "The Eiffel Tower was completed in 1889 for the World's Fair.",
                "It is 330 metres tall and was the tallest structure in the world until 1930.",
            ],
        ),
    ),
}


def start(pages: dict[str, tuple[str, str]] | None = None, **kwargs) -> SearxNGServer:
    return SearxNGServer(pages, **kwargs).start()


@pytest.fixture
def searxng_server() -> Iterator[SearxNGServer]:
    """A SearxNG stand-in over SAMPLE_PAGES; its base_url is FACTCHECK_SEARXNG_URL."""
    with SearxNGServer() as server:
        yield server
