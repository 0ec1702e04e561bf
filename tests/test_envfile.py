"""Configuration in one place (factcheck/envfile.py): the environment first, then the checkout's `.env`,
then the defaults, for the settings of every process (management commands here, in processes of their own)
and for the `make run` supervisor and the embedded servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from claims.models import Article
from factcheck import envfile
from tests.conftest import purge_queues

REPO = Path(__file__).resolve().parents[1]
TESTED = (
    "FACTCHECK_FETCH_ALLOW_NETWORKS",
    "FACTCHECK_FETCH_ALLOW_PORTS",
    "FACTCHECK_PROVIDERS",
    "SECRET_KEY",
)
SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps([s.FACTCHECK_FETCH_ALLOW_NETWORKS, "
    "s.FACTCHECK_FETCH_ALLOW_PORTS, s.FACTCHECK_PROVIDERS, s.SECRET_KEY, str(s.FACTCHECK_EVAL_DATA_DIR)]))"
)


def manage(
    env_file: Path | str, *args: str, cwd: Path = REPO, **variables: str
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in TESTED}
    db = settings.DATABASES["default"]
    env.update(
        FACTCHECK_ENV_FILE=str(env_file),
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **variables,
    )
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def dotenv(tmp_path) -> Path:
    path = tmp_path / ".env"
    path.write_text(
        "# a developer's .env\n"
        "FACTCHECK_FETCH_ALLOW_NETWORKS=10.9.0.0/16\n"
        "FACTCHECK_FETCH_ALLOW_PORTS=8080\n"
        "FACTCHECK_PROVIDERS=archive\n"
        "SECRET_KEY='kept$HOME literally'\n"
    )
    return path


def test_a_management_command_reads_dotenv_and_the_environment_wins(dotenv, tmp_path):
    result = manage(dotenv, "shell", "-c", SHOW, cwd=tmp_path, FACTCHECK_PROVIDERS="wikipedia")
    assert result.returncode == 0, result.stderr
    networks, ports, providers, secret, data_dir = json.loads(result.stdout.splitlines()[-1])
    assert (networks, ports, secret) == (["10.9.0.0/16"], [8080], "kept$HOME literally")
    assert providers == ["wikipedia"]  # the environment over .env
    assert data_dir == str(envfile.eval_data_dir())


def test_without_dotenv_the_defaults_apply(tmp_path):
    result = manage(tmp_path / "no-such.env", "shell", "-c", SHOW)
    assert result.returncode == 0, result.stderr
    networks, ports, providers, _, _ = json.loads(result.stdout.splitlines()[-1])
    assert (networks, ports, providers) == ([], [], ["archive", "wikipedia"])


@pytest.mark.django_db(transaction=True)
def test_an_address_allowed_in_dotenv_is_accepted_by_the_command_line(dotenv):
    refused = manage("", "submit_article", "http://10.9.1.2:8080/story")
    assert refused.returncode == 1
    assert "blocked_port" in refused.stderr and "FACTCHECK_FETCH_ALLOW_PORTS=8080" in refused.stderr
    try:
        accepted = manage(dotenv, "submit_article", "http://10.9.1.2:8080/story")
        assert accepted.returncode == 0, accepted.stderr
        assert "Queued: article" in accepted.stderr
        assert Article.objects.filter(canonical_url="http://10.9.1.2:8080/story").exists()
    finally:
        purge_queues()


def test_relative_data_dir_is_taken_from_the_repository_root_not_the_current_folder(tmp_path):
    assert envfile.eval_data_dir("../shared/data") == REPO.parent / "shared" / "data"
    assert envfile.eval_data_dir("") == REPO.parent / "shared" / "data"  # the default
    assert envfile.eval_data_dir(str(tmp_path)) == tmp_path
    result = manage("", "shell", "-c", SHOW, cwd=tmp_path, FACTCHECK_EVAL_DATA_DIR="data/here")
    assert json.loads(result.stdout.splitlines()[-1])[-1] == str(REPO / "data" / "here")


def test_load_env_file_fills_only_what_the_environment_lacks(dotenv, monkeypatch):
    monkeypatch.setenv("FACTCHECK_ENV_FILE", str(dotenv))
    monkeypatch.setenv("FACTCHECK_PROVIDERS", "searxng")
    monkeypatch.setenv("FACTCHECK_FETCH_ALLOW_PORTS", "")  # set, even empty: the environment wins
    for name in ("FACTCHECK_FETCH_ALLOW_NETWORKS", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    values = envfile.load_env_file()
    assert values["FACTCHECK_PROVIDERS"] == "archive"
    assert os.environ["FACTCHECK_PROVIDERS"] == "searxng"
    assert os.environ["FACTCHECK_FETCH_ALLOW_PORTS"] == ""
    assert os.environ["FACTCHECK_FETCH_ALLOW_NETWORKS"] == "10.9.0.0/16"
    assert envfile.lookup("FACTCHECK_PROVIDERS") == "searxng"
    monkeypatch.setenv("FACTCHECK_ENV_FILE", "")
    assert envfile.read_env_file() == {}
