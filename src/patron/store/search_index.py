"""The search index of parties (``party_search``, migration 19): normalised tokens keyed for prefix range scans.

A party is found by a word of its name (lower case, no accents: "Müller" is found by "mul"), by its email (the
whole address or its domain) and by its phone number typed in any format (the reversed
digits: a number ending in the digits typed has them as a prefix). Each is a range scan of the token index
instead of folding and matching every name of the store (seconds at a million customers).

The tokens are made in SQL from the ``parties`` row, so every writer calls :func:`refresh` with the parties
it changed, inside its transaction; :func:`rebuild` (``patron reindex``) makes the whole index again. Each
token also carries its party's current CLV (``clv``, migration 24: read from ``party_picture`` here, and set
again by every write of the picture, :mod:`patron.store.picture`), which orders a name search's matches.
"""

from __future__ import annotations

import re
import unicodedata

#: What separates the words of a name or an email: white space and ASCII punctuation (and a few typographic
#: marks). Letters outside ASCII (ł, ø, ß, Cyrillic...) stay inside words. The same in SQL and in Python.
SEPARATORS = r"[\s!-/:-@\[-`{-~’‘–—·]+"
_SPLIT = re.compile(SEPARATORS)


def _fold_map() -> tuple[str, str]:
    """Accented Latin letters and the plain letter each folds to, for SQL's ``translate`` (both engines have it)."""
    src, dst = [], []
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = unicodedata.normalize("NFKD", ch)[0]
        if base != ch and base.isascii() and base.isalpha() and len(ch.lower()) == 1:
            src.append(ch)
            dst.append(base.lower())
    return "".join(src), "".join(dst)


FOLD_FROM, FOLD_TO = _fold_map()
_FOLD_TABLE = str.maketrans(FOLD_FROM.lower() + FOLD_FROM, FOLD_TO + FOLD_TO)


def fold(text: str) -> str:
    """Lower case without accents, as :func:`folded` folds names in SQL ("Müller" -> "muller")."""
    return text.lower().translate(_FOLD_TABLE)


def folded(store, column: str = "p.name") -> str:
    """SQL of ``column`` folded like :func:`fold`: DuckDB's own ``strip_accents``, PostgreSQL's ``translate``
    (``unaccent`` is an extension a server may not have)."""
    if store.backend_name == "duckdb":
        return f"strip_accents(lower({column}))"
    return f"translate(lower({column}), '{FOLD_FROM.lower()}', '{FOLD_TO}')"


def words(text: str) -> list[str]:
    """The tokens a search's text is looked up by: folded, split like the stored names."""
    return [w for w in _SPLIT.split(fold(text)) if w]


def prefix(store, column: str = "token") -> str:
    """SQL "``column`` starts with the text" for :func:`prefix_params`: a range scan of the ART index on DuckDB,
    ``LIKE 'p%'`` on PostgreSQL (a B-tree range with ``text_pattern_ops``), checked exactly by ``left``
    (a ``_`` or ``%`` typed in the text is a wildcard to ``LIKE``)."""
    if store.backend_name == "duckdb":
        return f"({column} >= ? AND {column} < ?)"
    return f"({column} LIKE ? AND left({column}, ?) = ?)"


def prefix_params(store, text: str) -> list:
    if store.backend_name == "duckdb":
        return [text, text + "\U0010ffff"]  # the highest code point: every text that starts with text sorts below
    return [text + "%", len(text), text]


def _tokens_sql(store, where: str) -> str:
    """SELECT of (token, party_id, field) for the parties ``where`` selects (a condition on ``p``)."""
    name, email = folded(store, "p.name"), "lower(p.email)"

    def split(e: str) -> str:
        return f"unnest(regexp_split_to_array({e}, '{SEPARATORS}'))"

    parts = [
        f"SELECT {split(name)} AS token, p.party_id, 'name' AS field FROM parties p WHERE p.name IS NOT NULL AND {where}",
        f"SELECT {name} AS token, p.party_id, 'fullname' AS field FROM parties p WHERE p.name IS NOT NULL AND {where}",
        f"SELECT {email} AS token, p.party_id, 'email' AS field FROM parties p WHERE p.email IS NOT NULL AND {where}",
        (f"SELECT split_part({email}, '@', 2) AS token, p.party_id, 'email' AS field FROM parties p "
         f"WHERE p.email IS NOT NULL AND {where}"),
        ("SELECT reverse(regexp_replace(p.phone, '[^0-9]', '', 'g')) AS token, p.party_id, 'phone' AS field "
         f"FROM parties p WHERE p.phone IS NOT NULL AND {where}"),
    ]
    return (f"SELECT DISTINCT t.token, t.party_id, t.field, pp.clv FROM ({' UNION ALL '.join(parts)}) t "
            f"LEFT JOIN (SELECT party_id, clv FROM party_picture p WHERE {where}) pp ON pp.party_id = t.party_id "
            "WHERE t.token <> ''")


def refresh(store, party_ids) -> None:
    """Make the index rows of ``party_ids`` again from their ``parties`` rows (none for a party not there).

    Call inside the writer's transaction, after its change. ``party_ids`` is a list of ids or the SQL of a
    query selecting them (a temporary table or a subquery the caller built, without parameters).
    """
    if isinstance(party_ids, str):
        chosen = [f"party_id IN ({party_ids})"]
    else:
        ids = sorted({int(i) for i in party_ids if i is not None})
        chosen = [f"party_id IN ({', '.join(map(str, ids[start:start + 1000]))})"
                  for start in range(0, len(ids), 1000)]
    for condition in chosen:
        store.raw.execute(f"DELETE FROM party_search WHERE {condition}")
        store.raw.execute(f"INSERT INTO party_search (token, party_id, field, clv) "
                          f"{_tokens_sql(store, 'p.' + condition)}")


def rebuild(store) -> int:
    """The whole index made again from ``parties`` (``patron reindex``); the number of tokens.

    Written sorted by token, so that a DuckDB scan skips the row groups a prefix cannot be in, and the
    index re-made after the rows (much faster than growing it row by row).
    """
    with store.transaction():
        store.raw.execute("DROP INDEX IF EXISTS party_search_token")
        store.raw.execute("DROP INDEX IF EXISTS party_search_party")
        store.raw.execute("DELETE FROM party_search")
        store.raw.execute(f"INSERT INTO party_search (token, party_id, field, clv) "
                          f"SELECT token, party_id, field, clv FROM ({_tokens_sql(store, 'TRUE')}) t "
                          "ORDER BY token, party_id")
        store.raw.execute(_TOKEN_INDEX[store.backend_name])
        store.raw.execute("CREATE INDEX party_search_party ON party_search (party_id)")
        store.raw.execute("DELETE FROM settings WHERE name = 'search_index'")
    return store.scalar("SELECT count(*) FROM party_search")


#: The token index as each engine makes it (PostgreSQL: ``text_pattern_ops``, so ``LIKE 'p%'`` is a range scan
#: whatever the database's collation).
_TOKEN_INDEX = {"duckdb": "CREATE INDEX party_search_token ON party_search (token)",
                "postgres": "CREATE INDEX party_search_token ON party_search (token text_pattern_ops)"}


def stale(store) -> bool:
    """Whether the index is still to be built: a store that held parties before migration 19."""
    return bool(store.scalar("SELECT count(*) FROM settings WHERE name = 'search_index'"))


def ensure(store) -> None:
    """Build the index if it is still to be built (see :func:`stale`)."""
    if store.stable(("search index stale",), lambda: stale(store)):
        rebuild(store)
