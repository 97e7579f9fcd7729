"""PostgreSQL: the shared store for several users, workers and imports at once.

The service code writes DuckDB SQL with ``?`` parameters; this module runs it
on a psycopg connection after translating it
(:mod:`patron.store.backends.postgres_dialect`), through raw cursors that
send ``$1, $2, ...`` parameters to the server as they are.
Concurrency is the server's: each write transaction takes a
transaction-level advisory lock per id space before it reads ``max + 1``
(:meth:`PostgresBackend.lock`), so writers in any number of processes never
take the same id, and the unique indexes declared by the migrations refuse a
duplicate key whatever happens. Locks end with the transaction, also when a
process is killed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from patron.errors import PatronError
from patron.store.backends.postgres_dialect import translate

INSTALL_HINT = "PostgreSQL stores need the postgres extra: pip install 'patron[postgres]'."


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise PatronError(INSTALL_HINT) from exc
    return psycopg


def describe(url: str) -> str:
    """Where a URL points, for messages: ``database 'crm' on db.example.com:5432`` (never the password)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
    except Exception:
        return "the PostgreSQL server"
    host = parts.get("host") or "localhost"
    where = host if host.startswith("/") else f"{host}:{parts.get('port') or 5432}"
    return f"database '{parts.get('dbname') or parts.get('user') or '?'}' on {where}"


def hide_password(url: str) -> str:
    """The URL as it can be printed: the password replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _explain(exc: Exception, url: str) -> str:
    """A connection failure in words a marketer can act on."""
    text = str(exc).strip()
    where = describe(url)
    user = ""
    try:
        from psycopg.conninfo import conninfo_to_dict

        user = conninfo_to_dict(url).get("user") or ""
    except Exception:
        pass
    lower = text.lower()
    if "password authentication failed" in lower or "no password supplied" in lower:
        return (f"PostgreSQL refused the password for user '{user}' ({where}). "
                "Check the user name and password in the store URL (--store or PATRON_STORE).")
    if "does not exist" in lower and "database" in lower:
        return (f"There is no {where}. Create it (createdb, or ask the database administrator) "
                "or correct its name in the store URL.")
    if "role" in lower and "does not exist" in lower:
        return f"PostgreSQL has no user '{user}' ({where}). Correct the user name in the store URL."
    if "invalid" in lower and ("connection option" in lower or "uri" in lower or "dsn" in lower):
        return (f"The store URL '{hide_password(url)}' is not a PostgreSQL URL patron can read "
                f"(expected postgresql://user:password@host:port/database): {text.splitlines()[0]}")
    return (f"Cannot reach PostgreSQL ({where}): is the server running, and are the host and port right? "
            f"The server said: {text.splitlines()[0] if text else type(exc).__name__}")


def lost_server_message(exc: BaseException) -> str | None:
    """The message for a server that went away in the middle of a command, or ``None`` for another error."""
    import sys

    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.OperationalError):
        return None
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"The PostgreSQL server stopped answering ({first}). The unfinished change was not stored; "
            "run the command again when the server is back.")


def connect(url: str):
    """A connection in UTC, without JIT compilation.

    The analytics queries are wide joins whose estimated cost makes PostgreSQL
    JIT-compile them, which took longer than running them (10 s of a 12 s
    query at 10k customers): patron's sessions turn it off.
    """
    psycopg = _psycopg()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, options="-c TimeZone=UTC -c jit=off")
    except (psycopg.Error, ValueError) as exc:
        raise PatronError(_explain(exc, url)) from None


def _plain(value: Any) -> Any:
    """NumPy and pandas scalars as the Python values psycopg knows.

    PostgreSQL text cannot hold a NUL character: it becomes U+FFFD, as a bad byte does on import.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if hasattr(value, "item") and not isinstance(value, (str, bytes, dt.datetime, dt.date)):
        return value.item()
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


class PostgresResult:
    """A finished statement: ``fetchall``/``fetchone``/``description``/``df`` as DuckDB's results have them."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> list[tuple] | None:
        d = self._cursor.description
        return None if d is None else [(c.name, c.type_code, None, None, None, None, None) for c in d]

    @property
    def rowcount(self) -> int:
        """Rows an INSERT, UPDATE or DELETE changed."""
        return self._cursor.rowcount

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchmany(self, size: int) -> list[tuple]:
        return self._cursor.fetchmany(size)

    def df(self):
        """The rows as a DataFrame; numeric (``Decimal``) columns as floats, as DuckDB gives them for charts."""
        from decimal import Decimal

        import pandas as pd

        frame = pd.DataFrame(self.fetchall(), columns=[d[0] for d in self.description or []])
        for name in frame.columns:
            if frame[name].map(lambda v: isinstance(v, Decimal)).any():
                frame[name] = frame[name].astype("float64")
        return frame


class PostgresConnection:
    """The store's raw connection on PostgreSQL: DuckDB-dialect SQL in, rows out."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._psycopg = _psycopg()
        self.con = connect(url)
        self.ibis = None  # the Ibis backend over this connection, made when first needed
        #: May hold temporary tables (a statement created one, or Ibis, which keeps memtables in them, was used).
        self.made_temp = False
        #: When the pool was given this connection back (time.monotonic()).
        self.idle_since = 0.0

    def execute(self, sql: str, params: list[Any] | tuple | None = None) -> PostgresResult:
        statement = translate(sql)
        self.made_temp = self.made_temp or statement.makes_temp
        cur = self._psycopg.RawCursor(self.con)
        cur.execute(statement.sql, [_plain(p) for p in params] if params else None)
        return PostgresResult(cur)

    def executemany(self, sql: str, rows: list) -> None:
        with self._psycopg.RawCursor(self.con) as cur:
            cur.executemany(translate(sql).sql, [[_plain(v) for v in r] for r in rows])

    def close(self) -> None:
        self.con.close()


class ConnectionPool:
    """Idle connections kept for the cursors of one store (a web request each).

    Opening a connection costs about 20 ms (a new server process and a
    SCRAM password check), forty times a point query. A connection goes back
    only when no transaction is open on it, and without its temporary tables.
    One idle for more than :attr:`CHECK_AFTER` seconds is checked before it
    is handed out (the server may have restarted); a fresher one is not, which
    saves a round trip on every web request.
    """

    CHECK_AFTER = 10.0

    def __init__(self, url: str, size: int = 8) -> None:
        self.url, self.size = url, size
        self._idle: list[PostgresConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def take(self) -> PostgresConnection:
        """An idle connection that still answers (the server may have restarted since), or a new one."""
        while True:
            with self._lock:
                found = self._idle.pop() if self._idle else None
            if found is None:
                return PostgresConnection(self.url)
            if time.monotonic() - found.idle_since < self.CHECK_AFTER and not found.con.closed:
                return found
            try:
                found.con.execute("SELECT 1")
                return found
            except Exception:
                found.close()

    def give(self, connection: PostgresConnection) -> None:
        from psycopg.pq import TransactionStatus

        try:
            if connection.con.closed or connection.con.info.transaction_status != TransactionStatus.IDLE:
                raise ValueError("not reusable")
            if connection.made_temp or connection.ibis is not None:
                connection.con.execute("DISCARD TEMP")
                connection.made_temp = False
        except Exception:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        with self._lock:
            if not self._closed and len(self._idle) < self.size:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for connection in idle:
            connection.close()


class PostgresBackend:
    """The store's backend on a PostgreSQL server (see :class:`~patron.store.backends.StoreBackend`)."""

    name = "postgres"

    def __init__(self, url: str, *, read_only: bool = False, pool: ConnectionPool | None = None) -> None:
        self.url = url
        self.read_only = read_only
        self._pooled = pool is not None
        self._pool = pool or ConnectionPool(url)
        self.raw = pool.take() if pool is not None else PostgresConnection(url)

    @property
    def ibis(self):
        """An Ibis backend on the same connection, so analytics see the open transaction's writes."""
        if self.raw.ibis is None:
            import ibis

            self.raw.ibis = ibis.postgres.from_connection(self.raw.con)
        return self.raw.ibis

    @contextmanager
    def transaction(self, *, keeps_stable: bool = False) -> Iterator[None]:
        with self.raw.con.transaction():
            yield

    def limit_threads(self, quiet: int) -> None:
        """Nothing to do: the server plans its own parallel workers per query."""

    @contextmanager
    def parallel(self) -> Iterator[None]:
        """Nothing to do (see :meth:`limit_threads`)."""
        yield

    def lock(self, name: str) -> None:
        """Serialise, across every process, the writers of one id space until this transaction ends."""
        self.raw.execute("SELECT pg_advisory_xact_lock(hashtext(?))", [f"patron:{name}"])

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Work named ``name`` on this database, one at a time across every process until the block ends.

        A session-level advisory lock on a connection of its own (no transaction stays open): the server
        ends it when the block ends, or when the process holding it dies.
        """
        holder = PostgresConnection(self.url)
        try:
            holder.execute("SELECT pg_advisory_lock(hashtext(?))", [f"patron:hold:{name}"]).fetchall()
            try:
                yield
            finally:
                holder.execute("SELECT pg_advisory_unlock(hashtext(?))", [f"patron:hold:{name}"]).fetchall()
        finally:
            holder.close()

    def temp_table(self, name: str, rows):
        """Arrow rows as a temporary table, loaded with COPY and analysed.

        Not an Ibis memtable: Ibis inserts those row by row and the planner,
        with no statistics on them, joins them by nested loops (a 10k-customer
        run spent 38 s saving scores that way).
        """
        import ibis
        import pyarrow.csv as pacsv

        schema = ibis.Schema.from_pyarrow(rows.schema)
        self.raw.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.ibis.create_table(name, schema=schema, temp=True)
        with tempfile.TemporaryDirectory(prefix="patron-") as tmp:
            path = Path(tmp) / "rows.csv"
            pacsv.write_csv(rows, path, pacsv.WriteOptions(include_header=False))
            self.copy_in(name, list(rows.column_names), path)
        self.raw.execute(f'ANALYZE "{name}"')
        return self.ibis.table(name)

    def insert_arrow(self, table: str, rows) -> None:
        """Append Arrow ``rows`` (columns named as the table's) to ``table`` with COPY.

        The CSV is written by DuckDB, as the importer writes its own (:mod:`patron.ingest.server`): NULL
        is an unquoted empty field, an empty text ``""``, and any text is quoted as COPY reads it.
        """
        if rows.num_rows == 0:
            return
        import duckdb

        with tempfile.TemporaryDirectory(prefix="patron-") as tmp:
            path = Path(tmp) / "rows.csv"
            local = duckdb.connect()
            try:
                local.register("_rows", rows)
                text = [f.name for f in rows.schema if str(f.type) in ("string", "large_string")]
                select = ", ".join(f'replace("{c}", chr(0), chr(65533))' if c in text else f'"{c}"'
                                   for c in rows.column_names)
                local.execute(f"COPY (SELECT {select} FROM _rows) TO '{path}' (FORMAT CSV, HEADER false)")
            finally:
                local.close()
            self.copy_in(table, list(rows.column_names), path)

    def changed(self, sql: str, params: list[Any]) -> int:
        """Run an UPDATE or DELETE and return how many rows it changed."""
        return self.raw.execute(sql, params).rowcount

    def export(self, sql: str, params: list[Any], target: Path, options: str) -> None:
        """Fetch a query's rows and write them with DuckDB's writer, so files look the same on every engine."""
        import duckdb
        import pyarrow as pa

        result = self.raw.execute(sql, params)
        names = [d[0] for d in result.description]
        rows = result.fetchall()
        table = pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})
        local = duckdb.connect()
        try:
            local.register("_rows", table)
            local.execute(f"COPY (SELECT * FROM _rows) TO '{str(target).replace(chr(39), chr(39) * 2)}' {options}")
        finally:
            local.close()

    def copy_in(self, table: str, columns: list[str], csv_path: Path) -> None:
        """Append a CSV file (no header; unquoted empty is NULL, ``""`` an empty text) with COPY: fast bulk rows."""
        cols = ", ".join(f'"{c}"' for c in columns)
        with self.raw.con.cursor() as cur:
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT CSV)") as copy:
                with open(csv_path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)

    def stable(self, key: tuple, compute):
        """``compute()`` every time: other processes write the same database, unseen by this one."""
        return compute()

    def cursor(self) -> PostgresBackend:
        """Another connection to the same database, for another thread (a web request, a job).

        Taken from the store's pool, and given back to it by :meth:`close`.
        """
        return PostgresBackend(self.url, read_only=self.read_only, pool=self._pool)

    def close(self) -> None:
        if self._pooled:
            self._pool.give(self.raw)
        else:
            self.raw.close()
            self._pool.close()
