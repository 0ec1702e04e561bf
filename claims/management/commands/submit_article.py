"""Submit an article URL like the API does; with --wait, follow it through the pipeline."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.models import Article, ArticleStatus, ClaimStatus
from claims.services import SubmissionRefused, submit_article

# The pipeline in order; an article at STAGES[i] has passed i of the len(STAGES) - 1 steps.
STAGES: list[str] = [
    ArticleStatus.QUEUED,
    ArticleStatus.FETCHING,
    ArticleStatus.EXTRACTING,
    ArticleStatus.SOURCING,
    ArticleStatus.READY,
]
# Two honest counts: the stage reached (in the description) and claims sourced of claims found (the bar,
# empty and "?" until extraction has found the claims). No rate: neither is a steady flow.
BAR_FORMAT = "{desc} |{bar:24}| {n_fmt}/{total_fmt} claims sourced [{elapsed}]"


def progress(status: str, claims: int, sourced: int) -> tuple[str, int | None, int]:
    """(description, bar total, bar count) for an article in `status` with `sourced` of `claims` done."""
    steps = len(STAGES) - 1
    if status in STAGES:
        description = f"{status} (stage {STAGES.index(status)}/{steps})"
    else:
        description = str(status)
    known = STAGES.index(status) >= STAGES.index(ArticleStatus.SOURCING) if status in STAGES else claims > 0
    return description, (claims if known else None), min(sourced, claims)


class Command(BaseCommand):
    help = "Submit an article URL for fact-checking (as POST /api/v1/articles/ does)."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--wait", action="store_true", help="Show progress until the article is done.")
        parser.add_argument("--timeout", type=float, default=600.0, help="Seconds to wait at most.")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the article and its claims as JSON."
        )

    def handle(self, *args, url: str, wait: bool, timeout: float, as_json: bool, **options):
        try:
            article, created = submit_article(url=url)
        except SubmissionRefused as exc:
            hint = f" {exc.hint}" if exc.hint else ""  # an operator at the command line may see the setting
            raise CommandError(f"{exc.code}: {' '.join(exc.messages)}{hint}") from exc
        self.stderr.write(
            f"{'Queued' if created else 'Already known'}: article {article.pk} ({article.canonical_url})"
        )
        if wait:
            article = self.follow(article, timeout=timeout)
        self.report(article, as_json=as_json)
        if article.status == ArticleStatus.FAILED:
            raise CommandError(f"{article.error_code}: {article.error_message}")

    def follow(self, article: Article, *, timeout: float) -> Article:
        deadline = time.monotonic() + timeout
        with tqdm(total=None, bar_format=BAR_FORMAT, file=self.stderr._out, leave=True) as bar:
            while True:
                article.refresh_from_db()
                claims = article.claims.count()
                sourced = article.claims.exclude(status=ClaimStatus.PENDING).count()
                description, total, done = progress(article.status, claims, sourced)
                bar.set_description_str(description, refresh=False)
                bar.total, bar.n = total, done
                bar.refresh()
                if article.status in (ArticleStatus.READY, ArticleStatus.FAILED):
                    return article
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"Gave up waiting after {timeout:.0f}s; the article is {article.status}."
                    )
                time.sleep(0.5)

    def report(self, article: Article, *, as_json: bool) -> None:
        claims = list(
            article.claims.order_by("start").values("id", "text", "start", "end", "score", "status")
        )
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "article": article.pk,
                        "status": article.status,
                        "title": article.title,
                        "claims": claims,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"Article {article.pk}: {article.status} — {article.title or article.canonical_url}"
        )
        for claim in claims:
            self.stdout.write(f"  [{claim['score']:.2f}] {claim['text']}")
