"""Production settings (RELIABILITY A6), checked in fresh processes the way a deployment starts them:
`check --deploy` is clean, production refuses to start without a secret key or with DEBUG on, and
gunicorn serves the app with its config file and JSON access logs."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def database_url() -> str:
    """The server the tests use; its maintenance database answers /health/'s SELECT 1 without a schema."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/postgres"


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT", "SECURE_SSL_REDIRECT")}
    env.update(
        FACTCHECK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="factcheck.example.org,127.0.0.1",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.CELERY_BROKER_URL,
        PYTHONUNBUFFERED="1",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_about_a_development_configuration():
    # The same command must be able to fail: development settings (DEBUG, insecure key, no HSTS).
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(FACTCHECK_ENV=None))
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY must be set"),
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
    ],
    ids=["no-secret-key", "short-secret-key", "insecure-secret-key", "debug-on"],
)
def test_production_refuses_to_start_misconfigured(overrides, message):
    result = manage("check", env=production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_gunicorn_config_reads_its_settings_from_the_environment():
    result = subprocess.run(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--print-config", "factcheck.wsgi:application"],
        cwd=REPO,
        env=production_env(WEB_CONCURRENCY="5", GUNICORN_TIMEOUT="45"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = {
        line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip()
        for line in result.stdout.splitlines()
        if "=" in line
    }
    assert config["workers"] == "5"
    assert config["timeout"] == "45"
    assert config["accesslog"] == "-"
    assert "JsonLogger" in config["logger_class"]  # production logs JSON by default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_health_with_json_access_logs(tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = production_env(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", SECURE_SSL_REDIRECT="false")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "factcheck.wsgi:application"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/health/", headers={"X-Request-ID": "probe-12345678"}
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status, body, request_id = (
                        response.status,
                        json.load(response),
                        response.headers["X-Request-ID"],
                    )
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log_path.read_text()) from None
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200 and body["checks"] == {"database": "ok", "broker": "ok"}
    assert request_id == "probe-12345678"
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["path"] == "/health/"]
    assert access and access[0]["status"] == 200 and access[0]["request_id"] == "probe-12345678"
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
