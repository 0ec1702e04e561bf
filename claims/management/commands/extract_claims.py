"""Run main-text and claim extraction on one HTML file or URL and print the claims, without the database."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checkworthiness.claimfinder import find_claims
from extraction.decoding import IngestError, to_document
from extraction.main_text import extract_article, extract_plain_text, language_note
from outbound.fetcher import FetchError, fetch
from outbound.policy import fetch_policy


class Command(BaseCommand):
    help = (
        "Extract the main text and the check-worthy claims of one HTML file or URL; prints JSON with --json."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("source", help="path to an HTML/text file, or an http(s) URL")
        parser.add_argument("--json", action="store_true", help="print a JSON list of claims")
        parser.add_argument(
            "--lang", default="", help="force the language (ISO 639-1) instead of detecting it"
        )
        parser.add_argument("--threshold", type=float, default=None, help="minimum score (default: setting)")

    def handle(self, *args, source, json: bool, lang: str, threshold, **options):
        article = self._extract(source)
        if lang:
            article.language = lang.lower()
            article.language_note = language_note(article.language)
        if threshold is None:
            threshold = settings.FACTCHECK_CHECKWORTHINESS_THRESHOLD
        claims = find_claims(
            article.text, language=article.language, title=article.title, threshold=threshold
        )
        if article.language_note:
            self.stderr.write(article.language_note)
        rows = [
            {
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "spans": [list(s) for s in c.spans],
                "score": c.score,
                "language": c.language,
                "signals": c.signals,
                "context": c.context,
            }
            for c in claims
        ]
        if json:
            self.stdout.write(_dumps(rows))
        else:
            for row in rows:
                self.stdout.write(f"{row['score']:.2f}  [{row['start']}:{row['end']}]  {row['text']}")

    def _extract(self, source: str):
        if source.startswith(("http://", "https://")):
            try:
                response = fetch(source, policy=fetch_policy())
                document = to_document(response.content, response.content_type, response.charset)
            except (FetchError, IngestError) as exc:
                raise CommandError(f"Could not read {source}: {exc}") from exc
            if document.kind == "html" and document.html:
                return extract_article(document.html, url=source)
            return extract_plain_text(document.text or "")
        path = Path(source)
        if not path.exists():
            raise CommandError(f"No such file: {source}.")
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        if path.suffix.lower() in (".txt", ".text"):
            return extract_plain_text(text)
        return extract_article(text)


def _dumps(rows) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)
