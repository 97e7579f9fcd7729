"""A throwaway PostgreSQL server for the tests: initdb in a temp folder, pg_ctl on a free loopback port.

PostgreSQL refuses to run as root, and CI runs as root: then the cluster
belongs to the ``postgres`` user (created by the Debian package) and every
server command runs through ``runuser -u postgres --``. The superuser is
``patron`` with a password (host connections use scram-sha-256), so tests can
also check what a wrong password looks like.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from serving import free_port

SUPERUSER = "patron"
PASSWORD = "patron-test-secret"
TEMPLATE = "patron_template"


class ServerUnavailable(RuntimeError):
    """PostgreSQL could not be started; the message says why."""


def find_bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                           key=lambda p: int(Path(p).parent.name), reverse=True)]
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise ServerUnavailable("PostgreSQL server binaries not found (no initdb from pg_config --bindir or in "
                            "/usr/lib/postgresql/*/bin): install the Debian package 'postgresql'.")


class PostgresServer:
    def __init__(self, root: Path | None = None) -> None:
        """A new cluster in a temporary folder, or, with ``root``, the cluster kept there (made on first use)."""
        self.bindir = find_bindir()
        self.kept = root is not None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="patron-pg-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.data = self.root / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        self._databases = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise ServerUnavailable(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return out

    def start(self) -> PostgresServer:
        fresh = not (self.data / "PG_VERSION").exists()
        if fresh:
            pwfile = self.root / "pw"
            pwfile.write_text(PASSWORD + "\n")
            if self._as_root:
                shutil.chown(self.root, "postgres")
                shutil.chown(pwfile, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile), "-E", "UTF8",
                      "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256")
        # Durability is not what these tests check: fsync off makes CREATE DATABASE and commits fast.
        # wal_level=minimal and small WAL segments kept: the many test databases do not fill the disk with WAL.
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                "-c shared_buffers=64MB -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=64MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60",
                  "-o", opts, "start")
        if fresh:
            self.execute(f"CREATE DATABASE {TEMPLATE}")
        import psycopg

        with psycopg.connect(self.url("postgres")) as con:
            self.version = con.info.server_version // 10000
        return self

    def url(self, database: str, *, password: str = PASSWORD) -> str:
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as con:
            con.execute(sql)

    def new_database(self, migrated: bool = True) -> str:
        """A fresh database (from the migrated template: a file copy, much faster than migrating)."""
        self._databases += 1
        name = f"patron_test_{self._databases}"
        # FILE_COPY copies the template's files instead of writing them all to the WAL (PostgreSQL 15's default).
        strategy = " STRATEGY = FILE_COPY" if self.version >= 15 else ""
        self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE if migrated else 'template0'}{strategy}")
        return self.url(name)

    def copy_database(self, source: str) -> str:
        """A fresh database copied from database ``source`` (nobody may be connected to it)."""
        self._databases += 1
        name = f"patron_test_{self._databases}"
        strategy = " STRATEGY = FILE_COPY" if self.version >= 15 else ""
        self.execute(f"CREATE DATABASE {name} TEMPLATE {source}{strategy}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server; a temporary cluster is deleted, a kept one (``root``) stays for the next start."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast" if self.kept else "immediate", "-w", "stop")
        finally:
            if not self.kept:
                shutil.rmtree(self.root, ignore_errors=True)
