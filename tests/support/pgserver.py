"""A real PostgreSQL server for the test session: initdb into a temporary folder, pg_ctl on 127.0.0.1 and a free port.

initdb refuses to run as root, so as root the server's files belong to, and its commands run as, an unprivileged
user (`postgres` where Debian's package made it, else `nobody`). The server is stopped and its folder removed at
teardown, and at interpreter exit should the teardown not run (an interrupt, a failed fixture).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    import psycopg

SUPERUSER = "cxgov"
DATABASE = "cxgov"
PASSWORD_ROLE = "cxgov_password"  # the one role that must log in with a password (to test failed authentication)


def pg_bin() -> Path:
    """The folder holding initdb and pg_ctl: PATH first, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found (PATH, /usr/lib/postgresql/*/bin): "
                           "run `make install-test`, which installs Debian's postgresql package")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class PgServer:
    """A running server: `url` is the superuser's URL of database `cxgov`; `connect` gives read-write connections."""

    root: Path
    port: int
    password: str  # PASSWORD_ROLE's password
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return self.url_for(DATABASE)

    def url_for(self, dbname: str, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = DATABASE, **kwargs) -> "psycopg.Connection":
        """A read-write superuser connection (for loading test data); `with` commits on success."""
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=SUPERUSER, dbname=dbname, **kwargs)

    def create_database(self, name: str | None = None, *, timezone: str | None = None) -> str:
        """Create an empty database (a fresh name unless given; its session TimeZone if given); returns its URL."""
        from psycopg import sql

        name = name or f"db_{uuid.uuid4().hex[:12]}"
        with self.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            if timezone:
                conn.execute(sql.SQL("ALTER DATABASE {} SET timezone TO {}").format(sql.Identifier(name),
                                                                                  sql.Literal(timezone)))
        return self.url_for(name)


class _Cluster:
    """Owns the data folder and the server process; `stop` is safe to call more than once."""

    def __init__(self) -> None:
        self.owner = _unprivileged_user() if os.geteuid() == 0 else None
        self.bin = pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="cxgov-pg-"))
        self.data = self.root / "data"
        self.started = False
        atexit.register(self.stop)
        if self.owner:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner.pw_name, "--", *command]
        done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}")
        return done

    def start(self, password: str) -> int:
        self.run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync",
                 "--auth=trust")
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n")
        for attempt in range(3):  # another process may take the free port between choosing and binding it
            port = free_port()
            with (self.data / "postgresql.conf").open("a") as conf:  # later settings win
                conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{self.root}'\n"
                           "timezone = 'UTC'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                           "max_connections = 50\nshared_buffers = 128MB\n")
            try:
                self.run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.root / "server.log"))
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self.started = True
        import psycopg
        from psycopg import sql

        with psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(PASSWORD_ROLE),
                                                                            sql.Literal(password)))
        return port

    def stop(self) -> None:
        if self.started:
            self.started = False
            try:
                self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
            except RuntimeError:
                pass  # already gone: the folder is removed all the same
        shutil.rmtree(self.root, ignore_errors=True)


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a `postgres` nor a `nobody` user exists to run initdb as")


def _exit_on_sigterm() -> None:
    """A plain SIGTERM skips atexit; turn it into an exit so the server is stopped (unless someone handles it)."""
    def exit_(signum, frame):
        raise SystemExit(128 + signum)

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, exit_)


@contextmanager
def running_server() -> Iterator[PgServer]:
    """A PostgreSQL server of its own while the block runs (the tests' fixture; the benchmarks use it too)."""
    _exit_on_sigterm()
    cluster = _Cluster()
    try:
        password = uuid.uuid4().hex
        yield PgServer(root=cluster.root, port=cluster.start(password), password=password)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole test session."""
    with running_server() as server:
        yield server
