"""The `make run` supervisor (devtools/run.py) with real processes: a child killed by its pid stops the
others and is named with its last log lines (exit 1); so is an embedded server that dies; Ctrl-C stops
everything (exit 0). The children are cheap Python processes, the supervisor runs as a process of its own."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from devtools.embedded import PROCESSES_VARIABLE, pid_alive

REPO = Path(__file__).resolve().parents[2]

CHILD = (
    "import subprocess, sys, time\n"
    # a process of its own, like a worker's pool: it must go with the child, however the child ends
    "helper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
    "print('{name} helper', helper.pid, flush=True)\n"
    "for i in range({lines}): print('{name} line', i, flush=True)\n"
    "time.sleep(300)\n"
)
SUPERVISOR = textwrap.dedent(
    """
    import sys
    from devtools.run import Child, supervise, watched_from_environment
    children = [
        Child("worker", [sys.executable, "-c", {worker!r}]),
        Child("web", [sys.executable, "-c", {web!r}]),
    ]
    sys.exit(supervise(children, watched_from_environment(), banner="all started"))
    """
)


class Supervisor:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        code = SUPERVISOR.format(
            worker=CHILD.format(name="worker", lines=40), web=CHILD.format(name="web", lines=3)
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""

    def read_until(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < deadline, f"no {text!r} within {timeout}s:\n{self.output}"
            line = self.process.stdout.readline()
            assert line, f"the supervisor ended before {text!r}:\n{self.output}"
            self.output += line

    def pids(self) -> dict[str, int]:
        started = {name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", self.output)}
        helpers = {
            f"{n}-helper": int(pid) for n, pid in re.findall(r"(\w+)\s*\| \1 helper (\d+)", self.output)
        }
        return {**started, **helpers}

    def finish(self, timeout: float = 60) -> int:
        rest, _ = self.process.communicate(timeout=timeout)
        self.output += rest
        return self.process.returncode


@pytest.fixture
def supervisor_factory():
    started: list[Supervisor] = []

    def start(env=None) -> Supervisor:
        supervisor = Supervisor(env)
        started.append(supervisor)
        supervisor.read_until("web line 2")
        supervisor.read_until("worker line 39")
        return supervisor

    yield start
    for supervisor in started:
        if supervisor.process.poll() is None:
            supervisor.process.kill()
            supervisor.process.wait()
        for pid in supervisor.pids().values():
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_child_that_dies_stops_the_others_and_is_reported_with_its_last_lines(supervisor_factory):
    supervisor = supervisor_factory()
    pids = supervisor.pids()
    os.kill(pids["worker"], signal.SIGKILL)
    assert supervisor.finish() == 1, supervisor.output
    assert "worker was killed by SIGKILL; the other processes were stopped." in supervisor.output
    report = supervisor.output.split("the other processes were stopped.", 1)[1]
    assert "last 30 lines of worker's log:" in report
    assert "  worker line 39" in report and "  worker line 10" in report
    assert "worker line 9\n" not in report  # the last lines only
    assert set(pids) == {"web", "worker", "web-helper", "worker-helper"}
    assert not any(pid_alive(pid) for pid in pids.values())  # the dead worker's helper too


def test_ctrl_c_stops_everything_and_exits_0(supervisor_factory):
    supervisor = supervisor_factory()
    pids = supervisor.pids()
    supervisor.process.send_signal(signal.SIGINT)
    assert supervisor.finish() == 0, supervisor.output
    assert "stopped." in supervisor.output and "the other processes were stopped" not in supervisor.output
    assert not any(pid_alive(pid) for pid in pids.values())


def test_sigterm_stops_everything_and_exits_0(supervisor_factory):
    supervisor = supervisor_factory()
    pids = supervisor.pids()
    supervisor.process.terminate()
    assert supervisor.finish() == 0, supervisor.output
    assert not any(pid_alive(pid) for pid in pids.values())


def test_an_embedded_server_that_dies_stops_everything_and_its_log_is_shown(supervisor_factory, tmp_path):
    log = tmp_path / "postgres.log"
    log.write_text("".join(f"postgres log line {i}\n" for i in range(50)))
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        supervisor = supervisor_factory(
            {PROCESSES_VARIABLE: json.dumps({"postgres": {"pid": server.pid, "log": str(log)}})}
        )
        pids = supervisor.pids()
        server.kill()
        assert supervisor.finish() == 1, supervisor.output
    finally:
        server.kill()
        server.wait()
    assert f"postgres (pid {server.pid}) is gone; the other processes were stopped." in supervisor.output
    assert "  postgres log line 49" in supervisor.output and "postgres log line 19\n" not in supervisor.output
    assert not any(pid_alive(pid) for pid in pids.values())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_make_run_serves_with_gunicorn_and_its_config(tmp_path):
    """`python -m devtools.run` for real against the test database: the web child is gunicorn with
    gunicorn.conf.py on FACTCHECK_HOST:FACTCHECK_PORT (not the development server, whose thread per request
    leaks a persistent connection per thread: issue 18), with WEB_CONCURRENCY processes; Ctrl-C stops all."""
    from django.conf import settings

    from tests.conftest import worker_env

    db = settings.DATABASES["default"]
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = worker_env(
        extra={
            "FACTCHECK_HOST": "127.0.0.1",
            "FACTCHECK_PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "FACTCHECK_WORKER_CONCURRENCY": "1",
            "FACTCHECK_ENV_FILE": "",
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        }
    )
    env.pop(PROCESSES_VARIABLE, None)
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.run"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while "Serving on" not in log.read_text(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[
                -3000:
            ]
            time.sleep(0.3)
        web = int(re.search(r"started web \(pid (\d+)\): (.*)", log.read_text()).group(1))
        command = re.search(r"started web \(pid \d+\): (.*)", log.read_text()).group(1)
        assert "-m gunicorn -c gunicorn.conf.py factcheck.wsgi:application" in command
        assert "runserver" not in log.read_text()
        import urllib.request

        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
                    assert response.status == 200
                    assert response.headers["Server"].startswith("gunicorn")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.3)
        gunicorn_workers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _parent(int(pid)) == web]
        assert len(gunicorn_workers) == 2
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=90) == 0
        assert not pid_alive(web)
    finally:
        if process.poll() is None:
            process.kill()


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
