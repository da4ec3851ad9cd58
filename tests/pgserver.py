"""A throwaway PostgreSQL cluster for the test session, from the Debian binaries.

``PgServer.start()`` runs ``initdb`` and ``pg_ctl start`` in a fresh temporary folder,
listening on a free loopback port (and a socket in that folder), with durability switched
off because the data dies with the session. When the tests run as root the server runs as
the ``postgres`` system user (``initdb`` refuses root). ``stop()`` stops it and removes the
folder. Each test gets its own database, created from an empty template.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import psycopg

SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/usr/pgsql-*/bin")
SUPERUSER = "postgres"


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl (PG_BINDIR, then Debian/RPM places, then PATH)."""
    if os.environ.get("PG_BINDIR"):
        candidates = [os.environ["PG_BINDIR"]]
    else:
        candidates = sorted(
            (d for pattern in SEARCH for d in glob.glob(pattern)),
            key=lambda d: [int(p) if p.isdigit() else 0 for p in Path(d).parent.name.split(".")],
            reverse=True,
        )
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PostgresMissing(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found: install them "
        "(Debian: apt-get install postgresql), set PG_BINDIR, or run only SQLite with "
        "CHIDAO_TEST_BACKENDS=sqlite"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="chidao-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._counter = 0
        self._lock = threading.Lock()

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> PgServer:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c deadlock_timeout=200ms",
                "-c shared_buffers=64MB",
            ]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        with self.admin() as conn:
            conn.execute("CREATE DATABASE chidao_empty TEMPLATE template0 ENCODING 'UTF8'")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str = SUPERUSER, password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True
        )

    def new_database(self) -> str:
        """A fresh, empty database; returns its name."""
        with self._lock:
            self._counter += 1
            name = f"t{os.getpid()}_{self._counter}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE chidao_empty STRATEGY FILE_COPY")
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
