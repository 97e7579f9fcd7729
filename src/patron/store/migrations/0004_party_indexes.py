"""Indexes for one party's records.

The customer 360 and the API read one party's rows from every table; without an index each of those
reads scans the table (a p95 of 140 ms at 100k customers). A non-unique index on party_id makes them
point lookups, for a cost on bulk inserts (3M rows: 1.7 s -> 3.0 s), paid once per import. A table
added later creates its own index in its own migration.
"""

NAME = "indexes for one party's records"
STATEMENTS = tuple(
    f"CREATE INDEX {table}_party ON {table} (party_id)"
    for table in ("parties", "identities", "transactions", "interactions", "feedback", "complaints", "consents",
                  "scores")
)
