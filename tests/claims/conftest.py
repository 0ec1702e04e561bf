"""Fixtures shared by the pipeline tests of claims."""

from __future__ import annotations

import pytest


@pytest.fixture
def pipeline_settings(allow_loopback_servers, wiki_server):
    """Loopback servers allowed, evidence from the archive and the MediaWiki stand-in."""
    allow_loopback_servers.FACTCHECK_WIKIPEDIA_API = wiki_server.api_template
    allow_loopback_servers.FACTCHECK_PROVIDERS = ["archive", "wikipedia"]
    return allow_loopback_servers
