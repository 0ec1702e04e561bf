"""Run the evidence search for one claim text with the configured providers; store nothing."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from claims.archive import ArchiveProvider
from evidence.config import provider_config
from evidence.gathering import gather_evidence_sync
from evidence.providers.registry import build_providers


class Command(BaseCommand):
    help = "Find and rank sources for one claim text, printing them (nothing is stored)."

    def add_arguments(self, parser):
        parser.add_argument("claim")
        parser.add_argument("--lang", default="en")
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--providers", default=",".join(settings.FACTCHECK_PROVIDERS))

    def handle(self, *args, claim: str, lang: str, as_json: bool, providers: str, **options):
        config = provider_config()
        names = [p.strip() for p in providers.split(",") if p.strip()]
        result = gather_evidence_sync(
            claim,
            language=lang,
            providers=build_providers(names, config, extra={"archive": ArchiveProvider()}),
            config=config,
            deadline=settings.FACTCHECK_SOURCES_DEADLINE,
        )
        sources: list[dict[str, Any]] = [
            {
                "url": s.url,
                "title": s.title,
                "provider": s.provider,
                "publisher": s.publisher,
                "query": s.query,
                "relevance": round(s.relevance, 4),
                "stance": s.stance,
                "stance_reason": s.stance_reason,
                "passages": s.passages[:3],
            }
            for s in result.sources
        ]
        reports = [{"provider": r.provider, "state": r.state, "detail": r.detail} for r in result.reports]
        if as_json:
            self.stdout.write(json.dumps(sources, ensure_ascii=False, indent=2))
            for report in reports:
                self.stderr.write(f"{report['provider']}: {report['state']} {report['detail']}")
            return
        for report in reports:
            self.stdout.write(f"{report['provider']}: {report['state']} {report['detail']}")
        for rank, source in enumerate(sources, start=1):
            self.stdout.write(
                f"{rank}. [{source['relevance']:.2f} {source['stance']}] {source['title']} "
                f"({source['provider']}) {source['url']}"
            )
            for passage in source["passages"]:
                self.stdout.write(f"     » {passage[:200]}")
