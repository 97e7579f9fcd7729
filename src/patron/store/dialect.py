"""SQL written once in DuckDB's dialect, translated for other engines.

patron's service code and migrations are written in DuckDB SQL with ``?``
parameters. For PostgreSQL each statement is translated by sqlglot (which
Ibis already depends on) once and cached. What sqlglot cannot translate
faithfully is written portably at its source instead (explicit column lists
rather than ``SELECT * EXCLUDE``, ``GROUP BY 1, 2`` rather than
``GROUP BY ALL``, ``IN (subquery)`` rather than ``SEMI JOIN``).
"""

from __future__ import annotations

from functools import lru_cache

# Ibis adds its own PostgreSQL renderings to sqlglot (make_date, ...), and sqlglot freezes a dialect's
# renderings when first used: Ibis' module must be imported before this module first translates.
import ibis.backends.sql.dialects  # noqa: F401
import sqlglot
from sqlglot import expressions as exp

from patron.store.migrations import Migration
from patron.store.tables import UNIQUE_KEYS


@lru_cache(maxsize=2048)
def to_postgres(sql: str, parameters: bool = False) -> str:
    """One or more DuckDB statements as PostgreSQL; ``?`` parameters become ``%s``.

    With ``parameters``, a literal ``%`` is doubled, as psycopg then wants.
    """
    statements = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is None:
            continue
        _check_translatable(tree, sql)
        statements.append(tree.sql(dialect="postgres"))
    out = "; ".join(statements)
    return out.replace("%", "%%").replace("%%s", "%s") if parameters else out


def _check_translatable(tree: exp.Expression, sql: str) -> None:
    for join in tree.find_all(exp.Join):
        if (join.args.get("kind") or "").upper() == "SEMI":  # (ANTI JOIN becomes NOT EXISTS)
            raise ValueError(f"SEMI JOIN has no PostgreSQL form here; write it with IN (subquery): {sql}")
    for group in tree.find_all(exp.Group):
        if group.args.get("all"):
            raise ValueError(f"GROUP BY ALL has no PostgreSQL form; name the columns: {sql}")


def postgres_migration(migration: Migration) -> list[str]:
    """A migration's statements for PostgreSQL, plus the unique indexes of the tables it creates.

    PostgreSQL enforces ``UNIQUE_KEYS`` with B-tree indexes at little cost to
    bulk loads (unlike DuckDB's ART indexes), so it declares them: two
    writers can never store the same key twice, whatever the application does.
    """
    statements = [to_postgres(s.strip()) for s in migration.statements]
    created = set()
    for s in migration.statements:
        tree = sqlglot.parse_one(s, read="duckdb")
        if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "TABLE":
            created.add(tree.this.this.name if isinstance(tree.this, exp.Schema) else tree.this.name)
    for table, cols in UNIQUE_KEYS.items():
        if table in created:
            statements.append(f"CREATE UNIQUE INDEX {table}_key ON {table} ({', '.join(cols)})")
    return statements
