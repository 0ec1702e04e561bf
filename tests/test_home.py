"""`/` is a small page for people who open the server's root in a browser: links, no URL listing."""

from __future__ import annotations

import re

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_the_root_links_the_admin_the_api_docs_and_health(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    links = set(re.findall(r'href="([^"]+)"', html))
    assert {"/admin/", "/api/v1/docs/", "/health/"} <= links
    for link in links:  # every link answers (the admin redirects to its login)
        assert client.get(link).status_code in (200, 302), link
    assert "urlpatterns" not in html.lower() and "Page not found" not in html


@pytest.mark.django_db
def test_an_unknown_path_is_still_a_404(client, settings):
    settings.DEBUG = False
    assert client.get("/no-such-page/").status_code == 404
