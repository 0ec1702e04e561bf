"""`make run`: migrate, create the demo accounts, then serve the web app and a Celery worker (with beat).

Run under `python -m devtools.embedded exec --` so that, with DATABASE_URL / REDIS_URL unset, the
embedded PostgreSQL and Valkey are started first and stopped afterwards. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

HOST = os.environ.get("FACTCHECK_HOST", "127.0.0.1")
PORT = os.environ.get("FACTCHECK_PORT", "8000")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def main() -> int:
    manage("migrate", "--noinput", "-v", "0")
    manage("setup_demo", "--base-url", f"http://{HOST}:{PORT}")
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "factcheck",
                "worker",
                "--beat",
                "-l",
                "info",
                "-c",
                os.environ.get("FACTCHECK_WORKER_CONCURRENCY", "2"),
            ]
        ),
        subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{PORT}"]),
    ]
    print(f"Serving on http://{HOST}:{PORT}/ (admin at /admin/). Ctrl-C stops.", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(p.poll() is None for p in processes):
        time.sleep(0.5)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
