"""`make run`: migrate, create the demo accounts, then serve the web app (gunicorn, as in production) and a
Celery worker (with beat).

Run under `python -m devtools.embedded exec --` so that, with DATABASE_URL / REDIS_URL unset, the
embedded PostgreSQL and Valkey are started first and stopped afterwards; `exec` tells this supervisor their
pids and logs (FACTCHECK_EMBEDDED_PROCESSES), and they are watched like the processes started here.

The supervisor tells the truth: when any of these processes dies, the others are stopped, the dead one's
name and its last log lines are printed, and the exit code is 1. Ctrl-C (SIGINT) or SIGTERM stops
everything and exits 0. Every child runs in a session of its own, so a Ctrl-C in the terminal reaches only
this process, which then stops the children (and their own children: worker pool, beat) by process group.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from devtools.embedded import PROCESSES_VARIABLE, pid_alive, tail
from factcheck.envfile import load_env_file

LOG_LINES = 30
POLL_SECONDS = 0.2
STOP_TIMEOUT = 30.0
_print_lock = threading.Lock()


def _emit(line: str, stream=None) -> None:
    with _print_lock:
        print(line, file=stream or sys.stdout, flush=True)


class Child:
    """A process started here; its output is passed through with a name prefix, the last lines kept."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.command = command
        self.lines: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self.process: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),  # lines as they happen, not when a buffer fills
        )
        self.reader = threading.Thread(target=self._read, name=f"read-{self.name}", daemon=True)
        self.reader.start()
        _emit(f"started {self.name} (pid {self.process.pid}): {shlex.join(self.command)}")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            _emit(f"{self.name:<8}| {line}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def how_it_ended(self) -> str:
        code = self.process.returncode if self.process else None
        if code is not None and code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def last_lines(self) -> list[str]:
        if self.reader is not None:
            self.reader.join(timeout=2)  # the rest of its output, now that it is gone
        return list(self.lines)

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            # Also when the child itself is gone: what it started (a worker's pool and beat processes,
            # orphaned by a SIGKILL) is still in its process group.
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _emit(f"{self.name} did not stop within {STOP_TIMEOUT:.0f}s of SIGTERM: killing it", sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        # Anything left in its process group (a pool process that ignored SIGTERM) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Watched:
    """A process started by someone else (an embedded server), watched by its pid; its log is a file."""

    def __init__(self, name: str, pid: int, log: str) -> None:
        self.name = name
        self.pid = pid
        self.log = Path(log)

    def alive(self) -> bool:
        return pid_alive(self.pid)

    def how_it_ended(self) -> str:
        return f"(pid {self.pid}) is gone"

    def last_lines(self) -> list[str]:
        return tail(self.log, LOG_LINES).splitlines()

    def stop(self) -> None:
        pass  # its owner (`python -m devtools.embedded exec`) stops it


def watched_from_environment() -> list[Watched]:
    """The embedded servers that `devtools.embedded exec` runs for us (none with external servers)."""
    try:
        entries = json.loads(os.environ.get(PROCESSES_VARIABLE) or "{}")
    except ValueError:
        return []
    return [Watched(name, int(entry["pid"]), entry["log"]) for name, entry in entries.items()]


def supervise(children: list[Child], watched: list[Watched] | None = None, *, banner: str = "") -> int:
    """Start the children and watch them and `watched` until one dies (1) or we are told to stop (0)."""
    watched = list(watched or [])
    stopping = threading.Event()

    def stop(signum, frame):
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    dead: Child | Watched | None = None
    try:
        for child in children:
            try:
                child.start()
            except OSError as exc:
                _emit(f"could not start {child.name}: {exc}", sys.stderr)
                dead = child
                break
        if dead is None and banner:
            _emit(banner)
        while dead is None and not stopping.is_set():
            everyone: list[Child | Watched] = [*children, *watched]
            dead = next((p for p in everyone if not p.alive()), None)
            if dead is None:
                stopping.wait(POLL_SECONDS)
    finally:
        if dead is not None or stopping.is_set():
            _emit("stopping " + ", ".join(c.name for c in children if c.alive()) + " ...", sys.stderr)
        for child in reversed(children):
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if dead is None:
        _emit("stopped.", sys.stderr)
        return 0
    lines = dead.last_lines()
    report = [f"{dead.name} {dead.how_it_ended()}; the other processes were stopped."]
    report.append(
        f"last {len(lines)} lines of {dead.name}'s log:" if lines else f"{dead.name} logged nothing."
    )
    report += [f"  {line}" for line in lines]
    _emit("\n".join(report), sys.stderr)
    return 1


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], check=True)


def web_command() -> list[str]:
    """The production application server, configured by gunicorn.conf.py (WEB_CONCURRENCY sync workers, one
    persistent database connection each), not the development server: its thread per request leaks a
    persistent connection per thread (docs/deployment.md, "Connection budget")."""
    return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "factcheck.wsgi:application"]


def development_environment() -> None:
    """The configuration of this process and every child: the environment first, then `.env`; and, unless
    either says otherwise, FACTCHECK_ENV=development, the one mode with DEBUG on by default."""
    load_env_file()
    os.environ.setdefault("FACTCHECK_ENV", "development")


def main() -> int:
    development_environment()
    host = os.environ.get("FACTCHECK_HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("FACTCHECK_PORT", "").strip() or "8000"
    base_url = f"http://{host}:{port}"
    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("setup_demo", "--base-url", base_url, "--reset-hint", "make reset-passwords")
    except subprocess.CalledProcessError as exc:
        _emit(f"setting up failed: {shlex.join(exc.cmd)} exited with code {exc.returncode}", sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    concurrency = os.environ.get("FACTCHECK_WORKER_CONCURRENCY", "").strip() or "2"
    # The children's environment states the deployment, so `manage.py check` counts the same connection
    # budget (factcheck/dbbudget.py): this worker's pool, and gunicorn bound to host:port.
    os.environ.setdefault("FACTCHECK_WORKER_POOLS", concurrency)
    os.environ["GUNICORN_BIND"] = f"{host}:{port}"
    children = [
        Child("worker", [sys.executable, "-m", "celery", "-A", "factcheck", "worker", "--beat", "-l", "info",
                         "-c", concurrency]),
        Child("web", web_command()),
    ]  # fmt: skip
    return supervise(
        children,
        watched_from_environment(),
        banner=f"Serving on {base_url}/ (admin at /admin/, API docs at /api/v1/docs/). Ctrl-C stops.",
    )


if __name__ == "__main__":
    sys.exit(main())
