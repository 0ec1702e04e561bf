"""A loopback stand-in for the MediaWiki Action API (Wikipedia), over a corpus {title: text}.

Speaks the parts of the real wire format the provider uses (formatversion=2 JSON):
- `action=query&list=search&srsearch=...&srlimit=N` → `query.search[]` with title, pageid, size,
  wordcount, snippet (with `<span class="searchmatch">`), timestamp and `query.searchinfo.totalhits`;
  like CirrusSearch every word must match (unless the query uses `OR`), ranked by BM25;
- `action=query&prop=extracts|info&explaintext=1&inprop=url&titles=A|B` → `query.pages[]` with extract,
  fullurl, canonicalurl, touched, pagelanguage; unknown titles come back with `"missing": true`; like
  TextExtracts, only one full (non-intro) extract is returned per request, with a warning;
- errors as `{"error": {"code", "info"}}` with HTTP 200, as MediaWiki does.
URL template for FACTCHECK_WIKIPEDIA_API: `server.api_template` = http://HOST:PORT/{lang}/w/api.php (HOST: tests/support/host.py).
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from urllib.parse import quote

import pytest

from tests.support.loopback import LoopbackServer, Request, Response, json_response

_WORD = re.compile(r"\w+", re.UNICODE)


def _terms(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text.lower()):
        if len(w) > 4 and w.endswith("s"):
            w = w[:-1]  # a plural folds onto its singular, as CirrusSearch's stemmer would
        out.append(w)
    return out


class _Index:
    """Plain BM25 over whole pages (title counts as text too)."""

    def __init__(self, pages: Mapping[str, str]) -> None:
        self.titles = list(pages)
        self.docs = [Counter(_terms(f"{t} {pages[t]}")) for t in self.titles]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        self.df: Counter[str] = Counter()
        for d in self.docs:
            self.df.update(d.keys())
        self.postings: dict[str, list[int]] = {}
        for i, d in enumerate(self.docs):
            for term in d:
                self.postings.setdefault(term, []).append(i)

    def search(self, query: str, limit: int) -> tuple[list[str], int]:
        groups = [g for g in re.split(r"\s+OR\s+", query) if g.strip()]
        any_mode = len(groups) > 1
        words = [t for g in groups for t in _terms(g.replace('"', " "))]
        if not words:
            return [], 0
        candidates: set[int] = set()
        if any_mode:
            for t in words:
                candidates.update(self.postings.get(t, []))
        else:
            lists = [set(self.postings.get(t, [])) for t in set(words)]
            candidates = set.intersection(*lists) if lists else set()
        n = len(self.docs)
        scored = []
        for i in candidates:
            score = 0.0
            for t in set(words):
                tf = self.docs[i].get(t, 0)
                if not tf:
                    continue
                idf = math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * self.lengths[i] / self.avg))
            scored.append((score, i))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [self.titles[i] for _, i in scored[:limit]], len(scored)


class MediaWikiServer(LoopbackServer):
    def __init__(
        self,
        corpus: Mapping[str, str] | None = None,
        *,
        corpora: Mapping[str, Mapping[str, str]] | None = None,
        mode: str = "ok",
        delay: float = 0.0,
    ) -> None:
        """`corpus` serves every language; `corpora` = {lang: {title: text}} gives each wiki its own."""
        super().__init__(mode=mode, delay=delay)
        self._corpora = dict(corpora or {})
        self._default = dict(corpus or {})
        self._indexes: dict[str, _Index] = {}

    @property
    def api_template(self) -> str:
        return f"{self.base_url}/{{lang}}/w/api.php"

    def _pages(self, lang: str) -> dict[str, str]:
        return dict(self._corpora.get(lang, self._default))

    def _index(self, lang: str) -> _Index:
        if lang not in self._indexes:
            self._indexes[lang] = _Index(self._pages(lang))
        return self._indexes[lang]

    def failure(self, request: Request) -> Response | None:
        if self.mode == "badjson":
            return 200, {"Content-Type": "application/json"}, b"<html>not json</html>"
        return super().failure(request)

    def route(self, request: Request) -> Response:
        m = re.fullmatch(r"/(?P<lang>[a-z-]+)/w/api\.php", request.path)
        if not m:
            return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"
        lang = m.group("lang")
        q = request.query
        if q.get("format") != "json":
            return 200, {"Content-Type": "text/html"}, b"<html>API help page</html>"
        if q.get("action") != "query":
            return json_response(
                200, {"error": {"code": "badvalue", "info": "Unrecognized value for action."}}
            )
        if q.get("list") == "search":
            return self._search(lang, q)
        if q.get("titles") is not None:
            return self._extracts(lang, q)
        return json_response(200, {"batchcomplete": True})

    def _search(self, lang: str, q: dict[str, str]) -> Response:
        text = q.get("srsearch", "")
        if not text.strip():
            return json_response(
                200, {"error": {"code": "missingparam", "info": 'The "srsearch" parameter must be set.'}}
            )
        limit = min(int(q.get("srlimit", "10") or 10), 500)
        titles, total = self._index(lang).search(text, limit)
        pages = self._pages(lang)
        words = set(_terms(text))
        results = []
        for title in titles:
            body = pages[title]
            snippet = html.escape(body[:160])
            for w in sorted(words, key=len, reverse=True):
                snippet = re.sub(
                    rf"\b({re.escape(w)})\b", r'<span class="searchmatch">\1</span>', snippet, flags=re.I
                )
            results.append(
                {
                    "ns": 0,
                    "title": title,
                    "pageid": abs(hash(title)) % 10_000_000,
                    "size": len(body.encode()),
                    "wordcount": len(body.split()),
                    "snippet": snippet,
                    "timestamp": "2025-01-15T12:00:00Z",
                }
            )
        payload: dict = {
            "batchcomplete": True,
            "query": {"searchinfo": {"totalhits": total}, "search": results},
        }
        if total > limit:
            payload["continue"] = {"sroffset": limit, "continue": "-||"}
        return json_response(200, payload)

    def _extracts(self, lang: str, q: dict[str, str]) -> Response:
        pages = self._pages(lang)
        titles = [t for t in q.get("titles", "").split("|") if t]
        props = set(q.get("prop", "").split("|"))
        intro = "exintro" in q and q["exintro"] not in {"0", "false"}
        out = []
        warnings = {}
        extracts_given = 0
        for title in titles:
            if title not in pages:
                out.append({"ns": 0, "title": title, "missing": True})
                continue
            page: dict = {"pageid": abs(hash(title)) % 10_000_000, "ns": 0, "title": title}
            if "info" in props:
                page.update(
                    {
                        "contentmodel": "wikitext",
                        "pagelanguage": lang,
                        "pagelanguagehtmlcode": lang,
                        "pagelanguagedir": "ltr",
                        "touched": "2025-02-01T08:00:00Z",
                        "lastrevid": 1000 + len(title),
                        "length": len(pages[title]),
                    }
                )
                if q.get("inprop") and "url" in q["inprop"].split("|"):
                    url = f"https://{lang}.wikipedia.org/wiki/{quote(title.replace(' ', '_'))}"
                    page.update({"fullurl": url, "editurl": url + "?action=edit", "canonicalurl": url})
            if "extracts" in props:
                if intro or extracts_given == 0:
                    text = pages[title]
                    if intro:
                        text = text.split("\n\n")[0]
                    page["extract"] = text if q.get("explaintext") else f"<p>{html.escape(text)}</p>"
                    extracts_given += 1
                else:
                    warnings = {
                        "extracts": {
                            "warnings": '"exlimit" was too large for a whole article extracts request, '
                            "lowered to 1."
                        }
                    }
            out.append(page)
        payload: dict = {"batchcomplete": True, "query": {"pages": out}}
        if warnings:
            payload["warnings"] = warnings
        return json_response(200, payload)


def start(corpus: Mapping[str, str] | None = None, **kwargs) -> MediaWikiServer:
    return MediaWikiServer(corpus, **kwargs).start()


def stop(server: MediaWikiServer) -> None:
    server.stop()


WIKI_CORPUS = {
    "Polar bear": (
        "The polar bear is a large bear native to the Arctic. Its sea-ice habitat is shrinking because of "
        "climate change.\n\nThe polar bear is classified as a vulnerable species. In 2008 it was listed as a "
        "threatened species under the Endangered Species Act. Scientists estimate a population of about "
        "26,000 polar bears."
    ),
    "Global warming": (
        "Global warming is the long-term rise in the average temperature of Earth. The global surface "
        "temperature has risen by about 1.1 degrees since 1900.\n\nEnvironmental impacts include the "
        "extinction or relocation of many species as their ecosystems change."
    ),
    "Eiffel Tower": (
        "The Eiffel Tower is a wrought-iron lattice tower in Paris. It was completed in 1889 and is 330 metres "
        "tall."
    ),
}


@pytest.fixture
def mediawiki_server() -> Iterator[MediaWikiServer]:
    """A MediaWiki stand-in over WIKI_CORPUS for every language; `mediawiki_server.api_template`."""
    server = start(WIKI_CORPUS)
    try:
        yield server
    finally:
        server.stop()
