import duckdb
import pytest

from patron.errors import PatronError
from patron.store import Store, StoreURL
from patron.store.migrations import MIGRATIONS


def test_new_store_is_migrated_to_latest(tmp_path):
    s = Store(tmp_path / "a.duckdb")
    assert s.schema_version() == MIGRATIONS[-1].version
    assert set(s.counts()) >= {"parties", "identities", "transactions", "interactions", "feedback",
                               "complaints", "consents", "imports", "quarantine"}
    assert all(n == 0 for n in s.counts().values())
    s.close()


def test_reopening_applies_nothing(tmp_path):
    Store(tmp_path / "a.duckdb").close()
    s = Store(tmp_path / "a.duckdb")
    assert s.migrate() == []
    assert s.scalar("SELECT count(*) FROM schema_migrations") == len(MIGRATIONS)


def test_store_newer_than_code_is_refused(tmp_path):
    path = tmp_path / "a.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now()::TIMESTAMP)")
    con.close()
    with pytest.raises(PatronError, match="newer than this patron"):
        Store(path)


@pytest.mark.parametrize("url,engine,location", [
    ("x.duckdb", "duckdb", "x.duckdb"),
    ("duckdb:///tmp/x.duckdb", "duckdb", "/tmp/x.duckdb"),
    ("postgresql://u@h/db", "postgres", "postgresql://u@h/db"),
])
def test_store_url(url, engine, location):
    assert StoreURL.parse(url) == StoreURL(engine, location)


def test_unknown_scheme_is_explained():
    with pytest.raises(PatronError, match="DuckDB file"):
        StoreURL.parse("mysql://x")


def test_missing_folder_is_explained(tmp_path):
    with pytest.raises(PatronError, match="does not exist"):
        Store(tmp_path / "nope" / "a.duckdb")


def test_transaction_rolls_back_on_error(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.raw.execute("INSERT INTO parties (party_id, created_at) VALUES (1, now()::TIMESTAMP)")
            raise RuntimeError("boom")
    assert store.count("parties") == 0


def test_integrity_check_finds_duplicates_and_orphans(store):
    assert store.integrity_problems() == []
    if store.backend_name == "postgres":
        # The server declares the unique keys: a duplicate never gets in.
        with pytest.raises(Exception, match="identities_key"):
            store.raw.execute("INSERT INTO identities VALUES ('a', 'k', 7, NULL), ('a', 'k', 7, NULL)")
        store.raw.execute("INSERT INTO identities VALUES ('a', 'k', 7, NULL)")
    else:
        store.raw.execute("INSERT INTO identities VALUES ('a', 'k', 7, NULL), ('a', 'k', 7, NULL)")
        assert any("identities: 1 duplicated" in p for p in store.integrity_problems())
    problems = store.integrity_problems()
    assert any("identities" in p and "party that does not exist" in p for p in problems)


def test_ids_are_taken_in_turn_by_concurrent_writers(store):
    """Eight threads, each with its own connection, take ids and write at once: no id is taken twice."""
    import threading

    errors = []

    def writer(k):
        view = store.cursor()
        try:
            for i in range(15):
                with view.transaction():
                    pid = view.next_id("parties", "party_id")
                    view.raw.execute("INSERT INTO parties (party_id, created_at, name) VALUES (?, now()::TIMESTAMP, ?)",
                                     [pid, f"w{k}-{i}"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            view.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.scalar("SELECT count(*), count(DISTINCT party_id) FROM parties") == 120
    assert store.query("SELECT count(DISTINCT party_id), max(party_id) FROM parties")[0] == (120, 120)


def test_a_stable_answer_is_never_one_a_write_made_stale(store):
    """An answer computed while another cursor's write commits may be the old one: it is returned, not kept. One
    read inside a transaction that rolls back saw what the rollback undid: it is dropped."""
    def count():
        return store.count("parties")

    def insert(on, party_id):
        on.raw.execute("INSERT INTO parties (party_id, kind, category, name, created_at) "
                       "VALUES (?, 'person', 'customer', 'Ann', now()::TIMESTAMP)", [party_id])

    other = store.cursor()

    def racing():
        before = count()
        with other.transaction():
            insert(other, 1)
        return before

    assert store.stable(("parties",), racing) == 0
    assert store.stable(("parties",), count) == 1
    with pytest.raises(RuntimeError), store.transaction():
        insert(store, 2)
        assert store.stable(("parties inside",), count) == 2
        raise RuntimeError("undo")
    assert store.stable(("parties inside",), count) == 1
    other.close()


class RecordingConnection:
    """A connection that keeps the text of every statement it runs."""

    def __init__(self, raw) -> None:
        self.raw, self.statements = raw, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self.raw.execute(sql, *args)


def test_the_schema_version_asks_for_its_table_once_and_reads_the_version_every_time(tmp_path):
    """A health check asks ``schema_version()``: its information_schema query was most of the check's time."""
    path = tmp_path / "v.duckdb"
    with Store(path) as s:
        view = s.cursor()
        try:
            for store in (s, view):  # the store, and a request's cursor of it
                store.raw = RecordingConnection(store.raw)
                assert [store.schema_version() for _ in range(3)] == [MIGRATIONS[-1].version] * 3
                assert not [q for q in store.raw.statements if "information_schema" in q], store.raw.statements
                assert len(store.raw.statements) == 3, "the version is read from the store on every call"
            s.raw.raw.execute("INSERT INTO schema_migrations VALUES (?, 'later', now()::TIMESTAMP)",
                              [MIGRATIONS[-1].version + 1])
            assert view.schema_version() == MIGRATIONS[-1].version + 1, "a later migration shows at once"
        finally:
            view.close()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with Store(empty, read_only=True) as never_migrated:
        assert never_migrated.schema_version() == 0
