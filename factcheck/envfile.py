"""Where configuration comes from: the environment first, then the checkout's `.env` file, then defaults.

Plain Python (no Django), so that the settings, the `make run` supervisor, the embedded servers and the
benchmark and evaluation scripts all read the same values in the same way. `.env` is parsed by
python-dotenv without variable expansion (`$` stays literal); a variable set in the environment, even to
an empty value, always wins over the file. FACTCHECK_ENV_FILE names another file (relative to the
repository root), or none when empty; the test suite uses that to keep a developer's `.env` out of what the
tests assert (tests/support/suite_env.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE_VARIABLE = "FACTCHECK_ENV_FILE"
EVAL_DATA_VARIABLE = "FACTCHECK_EVAL_DATA_DIR"
# Relative to the repository root: the shared folder laid beside a checkout (README, "Evaluation data").
DEFAULT_EVAL_DATA_DIR = "../shared/data"


def repo_path(value: str | os.PathLike) -> Path:
    """An absolute path; a relative one is taken from the repository root, not the current directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (BASE_DIR / path).resolve()


def env_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The `.env` file to read, or None when FACTCHECK_ENV_FILE is set to an empty value."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_FILE_VARIABLE)
    if value is None:
        return BASE_DIR / ".env"
    return repo_path(value.strip()) if value.strip() else None


def read_env_file(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the `.env` file sets (nothing when there is no file)."""
    path = env_file(environ)
    if path is None or not path.is_file():
        return {}
    return {
        name: value for name, value in dotenv_values(path, interpolate=False).items() if value is not None
    }


def load_env_file() -> dict[str, str]:
    """Copy the `.env` values into os.environ where the environment has none of its own, so that the child
    processes (web server, worker) see exactly what this process sees. Returns the file's values."""
    values = read_env_file()
    for name, value in values.items():
        os.environ.setdefault(name, value)
    return values


def lookup(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """One variable: from the environment if set there, else from `.env`, else `default`."""
    environ = os.environ if environ is None else environ
    if name in environ:
        return environ[name].strip()
    return read_env_file(environ).get(name, default).strip()


def eval_data_dir(value: str | None = None) -> Path:
    """FACTCHECK_EVAL_DATA_DIR as an absolute path (default ../shared/data beside the repository)."""
    if value is None:
        value = lookup(EVAL_DATA_VARIABLE)
    return repo_path(value or DEFAULT_EVAL_DATA_DIR)


SECRET_KEY_FILE = "secret_key"


def generated_secret_key(data_dir: Path) -> str:
    """A random secret key made on first use and kept in `data_dir/secret_key` (mode 0600), so that every
    process of one checkout (web, worker, management commands) signs with the same key across restarts,
    and no two machines share a key that is written in the source. Raises OSError when the folder cannot
    be written; the settings turn that into a clear error.

    Written to a temporary file first and linked into place: processes starting at once all read the one
    key that won, never a half-written file.
    """
    path = data_dir / SECRET_KEY_FILE
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(64) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
    return path.read_text().strip()
