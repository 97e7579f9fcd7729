"""SQL written once in DuckDB's dialect, translated for PostgreSQL.

patron's service code and migrations are written in DuckDB SQL with ``?``
parameters. For PostgreSQL each statement is parsed by sqlglot (which Ibis
already depends on) once, checked, and rendered with ``$1, $2, ...``
parameters, which psycopg's raw cursors pass to the server as they are (so a
``%`` in the SQL is just a ``%``).

What sqlglot cannot translate faithfully is refused with a message that says
how to write it portably, instead of being sent as SQL that PostgreSQL reads
differently or not at all (:data:`RULES`). Each rule is enforced here, in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Ibis adds its own PostgreSQL renderings to sqlglot (make_date, ...), and sqlglot freezes a dialect's
# renderings when first used: Ibis' module must be imported before this module first translates.
import ibis.backends.sql.dialects  # noqa: F401
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from patron.store.migrations import Migration
from patron.store.tables import UNIQUE_KEYS

_DUCKDB = sqlglot.Dialect.get_or_raise("duckdb")

#: DuckDB constructs that have no faithful PostgreSQL form, and the portable way to write each.
RULES = {
    "GROUP BY ALL": "name the columns (GROUP BY 1, 2)",
    "SEMI JOIN": "write it with IN (subquery)",
    "SELECT * EXCLUDE": "list the columns",
    "?::TYPE": "write CAST(? AS TYPE)",
    "json_extract_string": "store the field in a column of its own (PostgreSQL keeps patron's JSON as text)",
    "CREATE OR REPLACE TABLE": "DROP TABLE IF EXISTS, then CREATE TABLE",
}


class NotPortable(ValueError):
    """A statement uses a DuckDB construct listed in :data:`RULES`."""

    def __init__(self, construct: str, sql: str) -> None:
        super().__init__(f"{construct} has no PostgreSQL form here; {RULES[construct]}: {sql}")


@dataclass(frozen=True)
class Translated:
    """A statement as PostgreSQL takes it."""

    sql: str
    #: It creates a temporary table (the connection must then drop its temporary tables before reuse).
    makes_temp: bool


@lru_cache(maxsize=2048)
def translate(sql: str) -> Translated:
    """One or more DuckDB statements as PostgreSQL; ``?`` parameters become ``$1``, ``$2``, ... in order.

    The parameters are numbered where they stand in ``sql``, before sqlglot sees it: a translation may move
    a clause (an ``ANTI JOIN`` becomes ``NOT EXISTS`` in the ``WHERE``), and a parameter must keep its value.

    Raises
    ------
    NotPortable
        When a statement uses a construct of :data:`RULES`.
    """
    try:
        trees = [t for t in sqlglot.parse(_numbered(sql), read="duckdb") if t is not None]
    except sqlglot.errors.ParseError:
        if "?::" in sql:
            raise NotPortable("?::TYPE", sql) from None
        raise
    statements, makes_temp = [], False
    for tree in trees:
        _check(tree, sql)
        makes_temp = makes_temp or any(_is_temporary(c) for c in tree.find_all(exp.Create))
        tree = tree.transform(
            lambda node: exp.Parameter(this=exp.Literal.number(int(node.name)))
            if isinstance(node, exp.Placeholder) and node.name else node)
        statements.append(tree.sql(dialect="postgres"))
    return Translated("; ".join(statements), makes_temp)


def _numbered(sql: str) -> str:
    """``sql`` with each ``?`` parameter (not a ``?`` inside a string) written ``$1``, ``$2``, ... in order."""
    marks = [t for t in _DUCKDB.tokenize(sql) if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
    for number, mark in reversed(list(enumerate(marks, start=1))):
        sql = f"{sql[:mark.start]}${number}{sql[mark.end + 1:]}"
    return sql


def to_postgres(sql: str) -> str:
    """The PostgreSQL text of DuckDB ``sql`` (see :func:`translate`)."""
    return translate(sql).sql


def _is_temporary(create: exp.Create) -> bool:
    properties = create.args.get("properties")
    return properties is not None and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions)


def _check(tree: exp.Expression, sql: str) -> None:
    for join in tree.find_all(exp.Join):
        if (join.args.get("kind") or "").upper() == "SEMI":  # (ANTI JOIN becomes NOT EXISTS)
            raise NotPortable("SEMI JOIN", sql)
    for group in tree.find_all(exp.Group):
        if group.args.get("all"):
            raise NotPortable("GROUP BY ALL", sql)
    for star in tree.find_all(exp.Star):
        if star.args.get("except_") or star.args.get("except"):  # (sqlglot renamed the key in 30)
            raise NotPortable("SELECT * EXCLUDE", sql)
    if tree.find(exp.JSONExtractScalar, exp.JSONExtract) is not None:
        raise NotPortable("json_extract_string", sql)
    for create in tree.find_all(exp.Create):
        if create.args.get("replace") and (create.args.get("kind") or "").upper() == "TABLE":
            raise NotPortable("CREATE OR REPLACE TABLE", sql)


#: Indexes a prefix ``LIKE 'p%'`` scans: on PostgreSQL a B-tree serves it only with ``text_pattern_ops``
#: (whatever the database's collation), which DuckDB's SQL has no word for.
PATTERN_INDEXES = {
    "CREATE INDEX party_search_token ON party_search(token)":
        "CREATE INDEX party_search_token ON party_search (token text_pattern_ops)",
}


def postgres_migration(migration: Migration) -> list[str]:
    """A migration's statements for PostgreSQL, plus the unique indexes of the tables it creates.

    PostgreSQL enforces the registry's unique keys (:data:`~patron.store.tables.UNIQUE_KEYS`) with B-tree
    indexes at little cost to bulk loads (unlike DuckDB's ART indexes), so it declares them: two writers can
    never store the same key twice, whatever the application does.
    """
    statements = [PATTERN_INDEXES.get(to_postgres(s.strip()), to_postgres(s.strip())) for s in migration.statements]
    created = set()
    for s in migration.statements:
        tree = sqlglot.parse_one(s, read="duckdb")
        if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "TABLE":
            created.add(tree.this.this.name if isinstance(tree.this, exp.Schema) else tree.this.name)
    for table, cols in UNIQUE_KEYS.items():
        if table in created:
            statements.append(f"CREATE UNIQUE INDEX {table}_key ON {table} ({', '.join(cols)})")
    return statements
