"""The evaluation and test data: FACTCHECK_EVAL_DATA_DIR (factcheck/settings.py; README "Evaluation data").

A test that reads it takes the `eval_data` fixture (tests/conftest.py), itself or through a fixture that
does (`page_server`). Where the folder is missing, such tests are skipped with one reason that names the
setting, and under CI=true they fail with it. A parameter list built from the data (`page_params()`) is
never empty: without the folder it holds one placeholder that is skipped or fails the same way, and an
empty list for any other reason is a collection error (pyproject.toml: empty_parameter_set_mark).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

DATA_DIR = Path(settings.FACTCHECK_EVAL_DATA_DIR)
PAGES_DIR = DATA_DIR / "pages"


def missing() -> str | None:
    """Why the data cannot be read, or None when the folder is there."""
    if DATA_DIR.is_dir():
        return None
    return (
        f"evaluation data not found: FACTCHECK_EVAL_DATA_DIR={DATA_DIR} is not a folder; set "
        "FACTCHECK_EVAL_DATA_DIR to the shared data folder (README, Evaluation data)"
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def page_params(pattern: str = "*.html") -> list:
    """The page files matching `pattern`, for parametrize (see the module docstring for a missing folder)."""
    if missing():
        return [pytest.param(None, id="eval-data-missing")]
    return sorted(PAGES_DIR.glob(pattern))


def read_page(name: str) -> str:
    return (PAGES_DIR / name).read_bytes().decode("utf-8", errors="replace")
