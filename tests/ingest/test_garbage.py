"""Garbage in: nothing crashes, every record is accounted for, nothing is half-written."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.errors import ImportRejected
from patron.ingest import import_file
from patron.store import Store

HEADER = ["customer_id", "date", "amount", "quantity", "description"]

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "NULL", "-", "12,50", "1.234,5", "(3.00)", "€ 4", "2024-02-30", "31/12/2023",
                     "2024-01-01T10:00:00+05:30", "1e309", "NaN", "-0", "  7  ", "\"", "\n", ";"]),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
)
row = st.lists(cell, min_size=0, max_size=7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_random_rows_are_accepted_or_quarantined(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("garbage")
    _import_random_rows(tmp, rows, str(tmp / "s.duckdb"))


@pytest.mark.postgres
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_random_rows_are_accepted_or_quarantined_on_the_server(tmp_path_factory, postgres_server, rows):
    _import_random_rows(tmp_path_factory.mktemp("garbage"), rows, postgres_server.new_database())


def _import_random_rows(tmp, rows, url):
    buf = io.StringIO()
    # CRLF makes the writer quote any value holding \r or \n, as RFC 4180 wants.
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    records = 0
    for r in rows:
        if not any(v.strip() for v in r) and len(r) <= 1:
            continue  # a blank line is not a record
        writer.writerow(r)
        records += 1
    path = tmp / "garbage.csv"
    path.write_bytes(buf.getvalue().encode("utf-8", errors="surrogatepass"))
    store = Store(url)
    try:
        try:
            report = import_file(store, path, "transactions", source="g")
        except ImportRejected as exc:
            # Refusing the whole file is allowed, with a message and nothing stored.
            assert str(exc)
            assert store.count("transactions") == 0 and store.count("imports") == 0
            assert store.count("quarantine") == 0 and store.count("parties") == 0
            return
        assert report.rows_read == records
        assert report.accepted + report.rejected + report.already_present == records
        assert store.count("transactions") == report.accepted
        assert store.count("quarantine") == report.rejected
        assert store.scalar("SELECT count(*) FROM quarantine WHERE reason IS NULL OR reason = ''") == 0
        assert store.integrity_problems() == []
        again = import_file(store, path, "transactions", source="g")
        assert again.accepted == 0 and again.already_present == report.accepted
        assert store.count("quarantine") == report.rejected
    finally:
        store.close()


@settings(max_examples=30, deadline=None)
@given(blob=st.binary(min_size=1, max_size=400))
def test_random_bytes_never_crash(tmp_path_factory, blob):
    tmp = tmp_path_factory.mktemp("bytes")
    path = tmp / "blob.csv"
    path.write_bytes(b"customer_id,date,amount\n" + blob)
    store = Store(tmp / "s.duckdb")
    try:
        try:
            report = import_file(store, path, "transactions")
        except ImportRejected as exc:
            assert str(exc) and store.count("imports") == 0
            return
        assert report.accepted + report.rejected + report.already_present == report.rows_read
        assert store.count("transactions") == report.accepted
    finally:
        store.close()


def test_kill_mid_import_leaves_store_unchanged(tmp_path):
    """SIGKILL a large import part-way: the store opens afterwards exactly as before."""
    db = tmp_path / "s.duckdb"
    small = tmp_path / "small.csv"
    small.write_text("customer_id,date,amount\nA,2024-01-01,1\nB,2024-01-02,2\n")
    with Store(db) as s:
        import_file(s, small, "transactions", source="shop")
        before = s.counts()
    big = tmp_path / "big.csv"
    with open(big, "w") as fh:
        fh.write("customer_id,date,amount,description\n")
        for i in range(400_000):
            fh.write(f"C{i % 50000},2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00,{i % 997}.{i % 100:02d},"
                     f"item {i}\n")
    script = textwrap.dedent(f"""
        from patron.store import Store
        from patron.ingest import import_file
        s = Store({str(db)!r})
        import_file(s, {str(big)!r}, "transactions", source="shop",
                    progress=lambda step, fraction: print(step, flush=True))
        print("finished", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    # Kill once the records are being written: inside the import's transaction, before its commit.
    for line in proc.stdout:
        if line.strip() == "storing":
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store(db) as s:
        assert s.counts() == before
        assert s.integrity_problems() == []
        # and the store still works: the same import now completes
        report = import_file(s, big, "transactions", source="shop")
        assert report.accepted == 400_000


@pytest.mark.postgres
@pytest.mark.parametrize("kill_at", ["checking values", "copying to the server"])
def test_kill_mid_import_leaves_server_unchanged(postgres_server, tmp_path, kill_at):
    """SIGKILL an import into PostgreSQL while staging and while copying: the server keeps what it had."""
    url = postgres_server.new_database()
    small = tmp_path / "small.csv"
    small.write_text("customer_id,date,amount\nA,2024-01-01,1\nB,2024-01-02,2\n")
    with Store(url) as s:
        import_file(s, small, "transactions", source="shop")
        before = s.counts()
    big = tmp_path / "big.csv"
    with open(big, "w") as fh:
        fh.write("customer_id,date,amount,description\n")
        for i in range(150_000):
            fh.write(f"C{i % 20000},2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00,{i % 997}.{i % 100:02d},item {i}\n")
    script = textwrap.dedent(f"""
        from patron.store import Store
        from patron.ingest import import_file
        s = Store({url!r})
        import_file(s, {str(big)!r}, "transactions", source="shop",
                    progress=lambda step, fraction: print(step, flush=True))
        print("finished", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.strip() == kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store(url) as s:
        assert s.counts() == before
        assert s.integrity_problems() == []
        assert s.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
        report = import_file(s, big, "transactions", source="shop")
        assert report.accepted == 150_000


@pytest.mark.postgres
def test_imports_in_several_processes_at_once(postgres_server, tmp_path):
    """Three processes import overlapping files into one server: they take turns, nothing is doubled."""
    url = postgres_server.new_database()
    files = []
    for k in range(3):
        p = tmp_path / f"part{k}.csv"
        # Customers overlap between files; rows 0-99 are the same in every file (same content: same key).
        lines = [*range(100), *range(100 + 200 * k, 300 + 200 * k)]
        body = "".join(f"C{i % 50},2024-01-{1 + i % 28:02d},{i}.00\n" for i in lines)
        p.write_text("customer_id,date,amount\n" + body)
        files.append(p)
    script = textwrap.dedent("""
        import sys
        from patron.store import Store
        from patron.ingest import import_file
        with Store(sys.argv[1]) as s:
            import_file(s, sys.argv[2], "transactions", source="shop")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, url, str(f)], stderr=subprocess.PIPE, text=True)
             for f in files]
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    with Store(url) as s:
        assert s.count("transactions") == 100 + 3 * 200
        assert s.count("parties") == 50 and s.count("identities") == 50
        assert s.count("imports") == 3
        assert s.integrity_problems() == []
        assert s.scalar("SELECT count(DISTINCT transaction_id) FROM transactions") == 700
