"""The SQL pieces that type text values, checked value by value in DuckDB."""

import duckdb
import pytest

from patron.ingest import parse
from patron.ingest.fields import fields_of


@pytest.mark.parametrize("value", [
    "2024-06-01T12:00:00Z", "2024-06-01 12:00:00z", "2024-06-01T12:00:00+02:00", "2024-06-01T12:00:00+0200",
    "2024-06-01T12:00:00-05", "2024-06-01 12:00", "2024-06-01", "01-06-2024", "01-06-2024 12:00",
    "2024-06-01T12:00:00+2", "Zurich", "+12", "", "-",
])
def test_has_offset_is_the_offset_pattern_with_a_cheap_test_first(value):
    con = duckdb.connect()
    fast, pattern = con.execute(f"SELECT {parse.has_offset('$1')}, regexp_matches($1, ?)",
                                [value, parse.OFFSET_RE]).fetchone()
    assert fast is pattern


@pytest.mark.parametrize(("text", "expected"), [
    ("12.50", 12.5), ("(12.50)", -12.5), ("12.50-", -12.5), ("EUR 1,234.50", 1234.5), ("$7", 7.0), ("1O.00", None),
])
def test_amounts_read_through_a_precomputed_plain_cast(text, expected):
    field = fields_of("transactions")["revenue"]
    con = duckdb.connect()
    plain = parse.plain_cast("v", field, ".")
    typed = parse.typed_sql("v", field, decimal=".", layout=None, timezone="UTC", plain="c")
    got = con.execute(f"SELECT ({typed})::DOUBLE FROM (SELECT v, {plain} AS c FROM (SELECT $1::VARCHAR AS v))",
                      [text]).fetchone()[0]
    assert got == expected
