"""Project hygiene that CI depends on: migrations match the models, the code is formatted and linted,
every setting is documented."""

from __future__ import annotations

import re
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
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_read_from_the_environment_is_in_env_example():
    settings_source = (REPO / "factcheck" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_bool|_int|_float|_list)?\("([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    assert read - documented == set()
