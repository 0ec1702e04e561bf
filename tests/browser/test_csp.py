"""The API docs work in a real browser under their Content-Security-Policy (RELIABILITY.md A10): Swagger
UI loads its assets and its start-up script from this server and renders every operation, with no
violation reported (tests/browser/conftest.py fails a test on any)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_under_the_policy(browser_page, live_server):
    blocked = []
    browser_page.on(
        "console", lambda message: blocked.append(message.text) if message.type == "error" else None
    )
    response = browser_page.goto(f"{live_server.url}/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    browser_page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = browser_page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/claims/{id}/verdict/" in path for path in paths), paths
    assert blocked == []


@pytest.mark.django_db(transaction=True)
def test_an_inline_script_is_refused_on_the_admin(browser_page, live_server, csp_violations):
    """The policy is enforced, not only sent: a script injected into the page does not run (and the
    violation detector of conftest.py sees it, so it can fail the other browser tests)."""
    browser_page.goto(f"{live_server.url}/admin/login/")
    browser_page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';"
        " document.body.appendChild(s); }"
    )
    browser_page.wait_for_timeout(200)
    assert browser_page.evaluate("() => window.ran === undefined")
    assert len(csp_violations) == 1 and "inline script" in csp_violations[0]
    csp_violations.clear()  # the one this test caused on purpose
