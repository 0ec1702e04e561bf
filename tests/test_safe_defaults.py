"""Safe defaults (issue 16.3, RELIABILITY.md A6/A10): DEBUG only where a developer asked for it, no secret
key written in the source, error reports that mask credentials inside URLs, and a Content-Security-Policy
on the admin and the API docs. Settings are read in fresh processes, the way a deployment starts them."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class, get_exception_reporter_filter

REPO = Path(__file__).resolve().parents[1]
OLD_FIXED_KEY = "django-insecure-development-only-key-do-not-use-in-production"
READ = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG); print(settings.SECRET_KEY)"


def settings_in_a_new_process(data_dir: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "FACTCHECK_ENV")}
    env.update(
        DJANGO_SETTINGS_MODULE="factcheck.settings", FACTCHECK_ENV_FILE="", FACTCHECK_DATA_DIR=str(data_dir)
    )
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", READ], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def debug_and_key(data_dir: Path, **variables: str) -> tuple[bool, str]:
    result = settings_in_a_new_process(data_dir, **variables)
    assert result.returncode == 0, result.stderr
    debug, key = result.stdout.split()
    return debug == "True", key


def test_debug_is_off_unless_a_developer_asked_for_it(tmp_path):
    assert debug_and_key(tmp_path)[0] is False  # FACTCHECK_ENV unset
    assert debug_and_key(tmp_path, FACTCHECK_ENV="staging")[0] is False
    assert debug_and_key(tmp_path, FACTCHECK_ENV="development")[0] is True  # what `make run` sets
    assert debug_and_key(tmp_path, FACTCHECK_ENV="development", DEBUG="0")[0] is False
    assert debug_and_key(tmp_path, DEBUG="1")[0] is True


def test_make_run_asks_for_development_mode_unless_told_otherwise(monkeypatch):
    from devtools.run import development_environment

    monkeypatch.setenv("FACTCHECK_ENV_FILE", "")
    monkeypatch.delenv("FACTCHECK_ENV", raising=False)
    development_environment()
    assert os.environ["FACTCHECK_ENV"] == "development"
    monkeypatch.setenv("FACTCHECK_ENV", "production")
    development_environment()
    assert os.environ["FACTCHECK_ENV"] == "production"


@pytest.mark.parametrize("mode", ["", "development"])
def test_no_secret_key_is_written_in_the_source(tmp_path, mode):
    """Without SECRET_KEY a random key is made once per data folder (mode 0600) and kept: every process of
    the checkout agrees, two checkouts never share one, and none is the old fixed development key."""
    first = debug_and_key(tmp_path / "one", FACTCHECK_ENV=mode)[1]
    again = debug_and_key(tmp_path / "one", FACTCHECK_ENV=mode)[1]
    other = debug_and_key(tmp_path / "two", FACTCHECK_ENV=mode)[1]
    assert first == again != other
    assert len(first) >= 50 and first != OLD_FIXED_KEY and not first.startswith("django-insecure")
    assert stat.S_IMODE((tmp_path / "one" / "secret_key").stat().st_mode) == 0o600
    assert debug_and_key(tmp_path / "one", FACTCHECK_ENV=mode, SECRET_KEY="k" * 60)[1] == "k" * 60


def test_a_data_folder_that_cannot_keep_a_key_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = settings_in_a_new_process(blocker / "data")
    assert result.returncode != 0
    assert "SECRET_KEY is not set and no key could be kept in" in result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = settings_in_a_new_process(tmp_path, FACTCHECK_ENV="production", ALLOWED_HOSTS="x.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random string of 50+ characters in production." in result.stderr
    assert not (tmp_path / "secret_key").exists()


# --- error reports ------------------------------------------------------------------------------------
SECRETS = (
    "db-s3cret",
    "redis-s3cret",
    "broker-s3cret",
    "cache-s3cret",
    "get-s3cret",
    "post-s3cret",
    "local-s3cret",
)


def a_report(settings) -> tuple[str, str, dict]:
    settings.DEBUG = True
    settings.DATABASE_URL = "postgres://factcheck:db-s3cret@db.internal:5432/factcheck"
    settings.REDIS_URL = "redis://:redis-s3cret@redis.internal:6379/0"
    settings.CELERY_BROKER_URL = "rediss://default:broker-s3cret@redis.internal:6380/1"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ["redis://u:cache-s3cret@cache.internal:6379/2"],
        }
    }
    request = RequestFactory().post(
        "/api/v1/webhooks/?callback=https://hook:get-s3cret@hooks.example.org/x",
        {"url": "https://hook:post-s3cret@hooks.example.org/in", "note": "plain"},
    )
    try:
        dsn = "postgres://app:local-s3cret@replica.internal/factcheck"  # a local variable of the frame
        raise RuntimeError(f"could not connect to {dsn.split('@')[1]}")
    except RuntimeError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
        html, text = reporter.get_traceback_html(), reporter.get_traceback_text()
    safe = get_exception_reporter_filter(request).get_safe_settings()
    return html, text, safe


def test_error_reports_mask_credentials_inside_urls_and_dsns(settings):
    html, text, safe = a_report(settings)
    for report in (html, text, repr(safe)):
        for secret in SECRETS[:4]:
            assert secret not in report
    for report in (html, text):
        for secret in SECRETS:
            assert secret not in report, secret
    # What is around the password is still there to debug with.
    assert "postgres://factcheck:********************@db.internal:5432/factcheck" in repr(safe)
    assert "redis://:********************@redis.internal:6379/0" in repr(safe)
    assert "cache.internal" in html and "hooks.example.org" in html and "plain" in html


def test_the_filter_masks_request_data_on_its_own(settings):
    """The filter (not only the finished page): POST values and settings, as Django's mail and log
    reports read them."""
    request = RequestFactory().post("/x", {"url": "https://a:post-s3cret@h.example.org/"})
    report_filter = get_exception_reporter_filter(request)
    assert (
        report_filter.get_post_parameters(request)["url"] == "https://a:********************@h.example.org/"
    )
    assert report_filter.cleanse_setting("BROKER", "amqp://u:p4ss@h//") == "amqp://u:********************@h//"
    assert report_filter.cleanse_setting("PLAIN", "https://example.org/a:b@c") == "https://example.org/a:b@c"


# --- Content-Security-Policy ----------------------------------------------------------------------------
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/docs/", "/api/v1/docs/?script="])
def test_the_admin_and_the_api_docs_carry_a_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_the_docs_page_runs_no_inline_script_and_loads_its_start_up_script_from_this_server(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page), page
    script = client.get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_the_review_pages_run_no_inline_script(admin_client):
    from tests.factories import make_claim

    claim = make_claim()
    for path in ("/admin/", "/admin/claims/claim/", f"/admin/claims/claim/{claim.pk}/change/"):
        page = admin_client.get(path).content.decode()
        assert not INLINE_SCRIPT.search(page), path


def test_the_api_itself_needs_no_policy(client, db):
    assert "Content-Security-Policy" not in client.get("/health/")
