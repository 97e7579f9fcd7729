"""The search index of parties (issue 11): one row per normalised token, found by a prefix range scan.

- ``party_search``: ``token`` is a word of the party's name lower-cased and without accents ("müller" ->
  "muller"), its whole name so folded (``fullname``, which ranks the matches), its email lower-cased (whole,
  and its domain) or its phone's digits in reverse (a number typed in any format is found by its last digits:
  a prefix of the reversed digits); ``field`` says which (``name``, ``fullname``, ``email``, ``phone``).
  It holds rows of existing parties only, kept current by every write to a party's name, email or phone
  (imports and their undo, merges and their undo, forms, erasure: :mod:`patron.store.search_index`) and
  rebuilt by ``patron reindex``. A store that held parties before this migration is marked in ``settings``
  (``search_index``) and builds its index at its first search.
"""

NAME = "party search index"
STATEMENTS = (
    """
    CREATE TABLE party_search (
        token     VARCHAR NOT NULL,
        party_id  BIGINT NOT NULL,
        field     VARCHAR NOT NULL
    )
    """,
    "CREATE INDEX party_search_token ON party_search (token)",
    "CREATE INDEX party_search_party ON party_search (party_id)",
    # A store that already holds parties builds its index at its first search (or by patron reindex).
    """
    INSERT INTO settings (name, value, updated_at, updated_by)
    SELECT 'search_index', 'to build', now()::TIMESTAMP, 'patron' WHERE EXISTS (SELECT 1 FROM parties)
    """,
)
