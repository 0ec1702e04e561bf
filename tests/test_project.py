"""Project hygiene that CI depends on: migrations match the models, the code is formatted and linted,
every setting is documented."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    """mypy with django-stubs over the packages listed in pyproject.toml ([tool.mypy] files)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", "/dev/null"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_run_one_way():
    """The import contracts in pyproject.toml (docs/architecture.md): layers, plain text work without Django
    or the network, no tooling or training code at run time."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_read_from_the_environment_is_in_env_example():
    settings_source = (REPO / "factcheck" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_bool|_int|_float|_list)?\("([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    assert read - documented == set()


def compose_command() -> list[str] | None:
    for candidate in (["docker", "compose"], ["docker-compose"]):
        if (
            shutil.which(candidate[0])
            and subprocess.run([*candidate, "version"], capture_output=True).returncode == 0
        ):
            return candidate
    return None


def required_compose_command() -> list[str]:
    """The docker compose client; a test without one fails in CI (.ci/run installs it) and skips elsewhere."""
    command = compose_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("docker compose (or docker-compose) is missing; .ci/run installs it")
        pytest.skip("no docker compose client on this machine (CI installs one)")
    return command


def test_the_compose_file_is_accepted(tmp_path):
    command = required_compose_command()
    shutil.copy(REPO / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    env = {**os.environ, "SECRET_KEY": "x" * 60}
    result = subprocess.run([*command, "config", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    services = subprocess.run(
        [*command, "config", "--services"], cwd=tmp_path, env=env, capture_output=True, text=True
    ).stdout.split()
    assert {"postgres", "redis", "web", "beat"} <= set(services)
    assert any(name.startswith("worker") for name in services)
    # claim vectors (claims/vectors.py) need pgvector in the database image
    resolved = subprocess.run(
        [*command, "config"], cwd=tmp_path, env=env, capture_output=True, text=True
    ).stdout
    assert re.search(r"image: pgvector/pgvector:pg1[6-9]", resolved), resolved
