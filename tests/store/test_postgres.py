"""PostgreSQL only: what the server adds (errors in words, unique indexes, writers in several processes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from patron.errors import PatronError
from patron.store import Store, StoreURL
from patron.store.migrations import MIGRATIONS
from patron.store.tables import UNIQUE_KEYS

pytestmark = pytest.mark.postgres


def test_migrates_a_new_database_with_unique_indexes(postgres_server):
    url = postgres_server.new_database(migrated=False)
    with Store(url) as s:
        assert s.schema_version() == MIGRATIONS[-1].version
        assert s.migrate() == []
        indexes = {r[0] for r in s.query("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_key'")}
        assert indexes >= {f"{t}_key" for t in UNIQUE_KEYS}
        assert all(n == 0 for n in s.counts().values())


def test_processes_starting_together_migrate_once(postgres_server):
    url = postgres_server.new_database(migrated=False)
    script = f"from patron.store import Store; Store({url!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    with Store(url) as s:
        assert s.scalar("SELECT count(*) FROM schema_migrations") == len(MIGRATIONS)


@pytest.mark.parametrize("change,match", [
    (lambda srv: srv.url("patron_template", password="wrong"), "refused the password for user 'patron'"),
    (lambda srv: srv.url("no_such_db"), "There is no database 'no_such_db' on 127.0.0.1"),
    (lambda srv: "postgresql://patron:x@127.0.0.1:1/crm", r"Cannot reach PostgreSQL \(database 'crm' on 127.0.0.1:1\)"),
])
def test_connection_problems_are_explained(postgres_server, change, match):
    with pytest.raises(PatronError, match=match) as info:
        Store(change(postgres_server))
    assert "patron-test-secret" not in str(info.value)


def test_printed_url_hides_the_password():
    assert StoreURL.parse("postgresql://u:s3cret@h:5/db").display == "postgresql://u:***@h:5/db"


def test_writers_in_several_processes_take_distinct_ids(postgres_server):
    """Four processes write parties at once: advisory locks hand out each id once."""
    url = postgres_server.new_database()
    script = textwrap.dedent(f"""
        import sys
        from patron.store import Store
        s = Store({url!r})
        for i in range(40):
            with s.transaction():
                pid = s.next_id("parties", "party_id")
                s.raw.execute("INSERT INTO parties (party_id, created_at, name) VALUES (?, now()::TIMESTAMP, ?)",
                              [pid, sys.argv[1] + str(i)])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, f"p{k}-"], stderr=subprocess.PIPE, text=True)
             for k in range(4)]
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    with Store(url) as s:
        assert s.query("SELECT count(*), count(DISTINCT party_id), max(party_id) FROM parties")[0] == (160, 160, 160)


def test_cursors_reuse_connections_without_their_leftovers(postgres_server):
    """A web request's connection goes back to the store's pool: clean, and only when no transaction is open."""
    with Store(postgres_server.new_database()) as store:
        first = store.cursor()
        pid = first.scalar("SELECT pg_backend_pid()")
        first.raw.execute("CREATE TEMP TABLE leftover AS SELECT 1 AS x")
        first.close()
        second = store.cursor()
        assert second.scalar("SELECT pg_backend_pid()") == pid
        assert second.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'") == 0
        with pytest.raises(RuntimeError):
            with second.transaction():
                second.next_id("parties", "party_id")
                raise RuntimeError("boom")
        second.close()  # rolled back: reusable, and its advisory lock is gone
        third = store.cursor()
        assert third.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
        third.close()


def test_pool_replaces_a_connection_the_server_dropped(postgres_server):
    """A connection idle for long is checked before reuse; one the server dropped is replaced, not handed out."""
    with Store(postgres_server.new_database()) as store:
        first = store.cursor()
        pid = first.scalar("SELECT pg_backend_pid()")
        first.close()
        assert store.scalar("SELECT pg_terminate_backend(?)", [pid]) is True
        store.backend._pool.CHECK_AFTER = 0.0  # as if it had been idle for longer than the pool trusts
        second = store.cursor()
        assert second.scalar("SELECT 1") == 1
        assert second.scalar("SELECT pg_backend_pid()") != pid
        second.close()
