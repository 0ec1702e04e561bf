"""The environment of a test run, set before Django is (pyproject.toml: `-p tests.support.suite_env`).

- A developer's `.env` must not change what the tests assert. Only the variables that say where things
  are (servers, data) are taken from it; then FACTCHECK_ENV_FILE is emptied, so that the settings of this
  process and of every worker or web process a test starts read no `.env` at all (factcheck/envfile.py).
- The stand-in servers' loopback address is chosen for this run (tests/support/host.py) and exported, so
  the processes the tests start agree on it.
"""

from __future__ import annotations

import os

from factcheck.envfile import ENV_FILE_VARIABLE, read_env_file
from tests.support import host

LOCATION_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "FACTCHECK_EVAL_DATA_DIR",
    "FACTCHECK_DATA_DIR",
    "FACTCHECK_EMBEDDED_PG_PORT",
    "FACTCHECK_EMBEDDED_REDIS_PORT",
)

for _name, _value in read_env_file().items():
    if _name in LOCATION_VARIABLES:
        os.environ.setdefault(_name, _value)
os.environ[ENV_FILE_VARIABLE] = ""
host.loopback_host()


def pytest_report_header(config) -> list[str]:
    return [f"stand-in servers on {host.HOST} ({host.HOST_VARIABLE})"]
