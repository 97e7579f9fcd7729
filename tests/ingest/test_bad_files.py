"""A file full of bad rows: its rejects are located in one pass, and too many of them stop the import at once."""

from __future__ import annotations

import random
import string
import time

import pytest

from patron.errors import ImportRejected
from patron.ingest import import_file
from patron.ingest.mapping import Mapping
from patron.ingest.readers import lines_at_byte_positions

OPTIONS = {"date_format": "%Y-%m-%d", "decimal": "."}


def _garbage(path, megabytes: float, every: int = 10) -> tuple[int, int]:
    """A valid header, then random lines with a good order every ``every`` lines; (good, bad) line counts."""
    rnd = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " '-.:/"
    good = bad = size = 0
    lines = ["customer_id,order_id,order_date,amount"]
    i = 0
    while size < megabytes * (1 << 20):
        i += 1
        if i % every == 0:
            line, good = f"C{i % 97},O{i},2024-03-{1 + i % 28:02d},{i % 500}.25", good + 1
        else:
            # No comma: one value where four are wanted, so the reader itself rejects the line.
            line, bad = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(5, 60))), bad + 1
        lines.append(line)
        size += len(line) + 1
    path.write_text("\n".join(lines) + "\n")
    return good, bad


def _mapping(**options) -> Mapping:
    return Mapping(kind="transactions", options={**OPTIONS, **options})


def test_lines_of_byte_positions_are_right_across_chunks(tmp_path):
    rnd = random.Random(3)
    data = b"".join(b"x" * rnd.randint(0, 300) + b"\n" for _ in range(40_000))  # about 6 MB: two chunks
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    positions = rnd.sample(range(len(data)), 5_000) + [0, len(data) - 1, (1 << 22), (1 << 22) - 1]
    expected = [data.count(b"\n", 0, p) + 1 for p in positions]
    assert lines_at_byte_positions(path, positions) == expected


def test_many_rejects_are_located_in_one_pass(store, tmp_path):
    """2 MB with about 57,000 unreadable lines: located in seconds (it took 200 s, rescanning per reject)."""
    path = tmp_path / "garbage.csv"
    good, bad = _garbage(path, 2)
    started = time.perf_counter()
    report = import_file(store, path, "transactions", mapping=_mapping(max_rejects=0))
    seconds = time.perf_counter() - started
    assert (report.accepted, report.rejected) == (good, bad)
    assert seconds < 20, f"{bad:,} rejects took {seconds:.1f} s"
    # Every quarantined line is where the reader found it: its raw text is that physical line.
    lines = path.read_text().splitlines()
    rows = store.query("SELECT line, raw FROM quarantine")
    assert len(rows) == bad
    assert all(lines[line - 1] == raw for line, raw in rows)


def test_too_many_bad_rows_stop_the_import_with_nothing_stored(store, tmp_path):
    path = tmp_path / "garbage.csv"
    good, bad = _garbage(path, 0.5)
    assert bad > 1_000
    with pytest.raises(ImportRejected, match=r"too many bad rows: 1,001 of the first [0-9,]+ lines were rejected, more than the limit of 1,000 \(line 2: too few values"):
        import_file(store, path, "transactions", mapping=_mapping(max_rejects=1_000))
    assert store.query("SELECT count(*) FROM imports")[0][0] == 0
    assert store.query("SELECT count(*) FROM quarantine")[0][0] == 0
    assert store.query("SELECT count(*) FROM transactions")[0][0] == 0
    # Under the cap the same file is imported, every record accounted for.
    report = import_file(store, path, "transactions", mapping=_mapping(max_rejects=bad))
    assert (report.accepted, report.rejected) == (good, bad)


def test_too_many_values_that_fail_their_checks_stop_the_import(store, tmp_path):
    """Records the reader splits well but whose values are bad count against the same cap."""
    path = tmp_path / "dates.csv"
    path.write_text("customer_id,order_id,order_date,amount\n"
                    + "".join(f"C{i},O{i},not a date,1.00\n" for i in range(300))
                    + "".join(f"C{i},P{i},2024-01-02,1.00\n" for i in range(10)))
    with pytest.raises(ImportRejected, match=r"too many bad rows: 300 of the 310 records were rejected, more than the limit of 100 \(line 2: .not a date. in column .order_date."):
        import_file(store, path, "transactions", mapping=_mapping(max_rejects=100))
    assert store.query("SELECT count(*) FROM imports")[0][0] == 0


def test_the_default_cap_stops_a_garbage_file(store, tmp_path, monkeypatch):
    from patron.ingest import readers

    monkeypatch.setattr(readers, "MAX_REJECTS", 500)
    path = tmp_path / "garbage.csv"
    _garbage(path, 0.2)
    with pytest.raises(ImportRejected, match="too many bad rows"):
        import_file(store, path, "transactions", mapping=_mapping())


def test_a_bad_cap_is_a_clear_error(store, tmp_path):
    path = tmp_path / "garbage.csv"
    _garbage(path, 0.01)
    with pytest.raises(ImportRejected, match="max_rejects must be a whole number"):
        import_file(store, path, "transactions", mapping=_mapping(max_rejects="lots"))
