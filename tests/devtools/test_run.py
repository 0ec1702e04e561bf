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
