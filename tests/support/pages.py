"""Serve the real pages of FACTCHECK_EVAL_DATA_DIR/pages on a loopback address, as an article site would."""

from __future__ import annotations

import json

from factcheck.envfile import eval_data_dir
from tests.support.loopback import LoopbackServer, Request, Response

PAGES_DIR = eval_data_dir() / "pages"


def manifest() -> list[dict]:
    return json.loads((PAGES_DIR / "manifest.json").read_text())


class PageServer(LoopbackServer):
    """GET /<file name> returns that page as text/html; anything else is a 404. `extra` maps more names to
    pages a test writes itself (served first), for the session's worker, which may fetch from this server."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.extra: dict[str, bytes] = {}

    def route(self, request: Request) -> Response:
        name = request.path.lstrip("/")
        if name in self.extra:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.extra[name]
        path = PAGES_DIR / name
        if "/" in name or not name.endswith(".html") or not path.is_file():
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return 200, {"Content-Type": "text/html"}, path.read_bytes()

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"
