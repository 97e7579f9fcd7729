"""Every table of the store, declared once, and what the rest of patron derives from it.

A table's entry says what it is to each part of patron that must treat it
alike: the id the store hands out (``max + 1`` inside the write transaction),
the key that must be unique, the import kind whose records land in it, the
columns that name a party and what a merge of two parties does to its rows,
whether it goes into a lake and whether a party's rows are indexed.

Derived from it, and nowhere written again: the tables a merge re-points and
its undo puts back (:mod:`patron.resolve.merge`), the lake export
(:mod:`patron.engines.lake`), the integrity check and the row counts
(:class:`~patron.store.Store`), the unique indexes of a PostgreSQL store,
the importer's target tables and id spaces (:mod:`patron.ingest`).

A new table is a migration (``store/migrations/NNNN_name.py``) and an entry
here; ``tests/store/test_tables.py`` fails for a table with a ``party_id``
column that is not registered, and merges and undoes a party through every
table that is.
"""

from __future__ import annotations

from dataclasses import dataclass

from patron.store.vocabulary import IMPORT_KINDS

#: What merging party B into party A does to B's rows of a table (``Table.on_merge``).
MOVE = "move"  # they become A's; undo gives them back to B (identities, facts)
KEEP = "keep"  # they stay as written: a run's scores describe the party as it was then
OWN = "own"  # identity resolution's own records of the merge (crosswalk, merged_parties)


@dataclass(frozen=True)
class Table:
    """One store table as the rest of patron needs to know it.

    Parameters
    ----------
    name
        The table.
    id_column
        The id patron gives each new row (``Store.next_id``), if any.
    key
        Columns whose values must be unique. Not declared in DuckDB (its
        unique indexes made bulk inserts 5-8x slower): the importer enforces
        them and ``patron check`` verifies them; PostgreSQL gets a unique index.
    time_column
        When a row happened (facts).
    import_kind
        The kind of ``patron import`` whose records are stored here.
    party_column
        The column naming the party a row belongs to.
    on_merge
        :data:`MOVE`, :data:`KEEP` or :data:`OWN`; required with ``party_column``.
    row_key
        With ``source``, names a row in its source system: how an undo finds a
        moved row again.
    party_links
        Other columns naming a party (a referrer, an employer); a merge
        re-points them too.
    lake
        Exported by ``patron lake export`` and read by lake engines.
    status
        Counted by ``patron status``.
    """

    name: str
    id_column: str | None = None
    key: tuple[str, ...] = ()
    time_column: str | None = None
    import_kind: str | None = None
    party_column: str | None = None
    on_merge: str | None = None
    row_key: str | None = None
    party_links: tuple[str, ...] = ()
    lake: bool = False
    status: bool = False


def _fact(name: str, id_column: str, time_column: str) -> Table:
    """A fact about a party, imported from a source system (or entered in patron, source ``patron``)."""
    return Table(name, id_column, ("source", "external_id"), time_column, import_kind=name, party_column="party_id",
                 on_merge=MOVE, row_key="external_id", lake=True, status=True)


TABLES: tuple[Table, ...] = (
    Table("parties", "party_id", ("party_id",), import_kind="parties",
          party_links=("referred_by", "organisation_id"), lake=True, status=True),
    Table("identities", key=("source", "source_key"), party_column="party_id", on_merge=MOVE, row_key="source_key",
          lake=True, status=True),
    _fact("transactions", "transaction_id", "occurred_at"),
    _fact("interactions", "interaction_id", "occurred_at"),
    _fact("feedback", "feedback_id", "occurred_at"),
    _fact("complaints", "complaint_id", "opened_at"),
    _fact("consents", "consent_id", "recorded_at"),
    Table("imports", "import_id", status=True),
    Table("quarantine", status=True),
    Table("runs", "run_id", status=True),
    Table("scores", key=("run_id", "party_id"), party_column="party_id", on_merge=KEEP, status=True),
    Table("users", "user_id"),
    Table("api_tokens", "token_id"),
    Table("audit_log", time_column="happened_at"),
    Table("merges", "merge_id"),
    Table("merge_moves"),
    Table("merged_parties", party_column="party_id", on_merge=OWN),
    Table("crosswalk", party_column="party_id", on_merge=OWN),
    Table("match_pairs"),
    Table("match_evidence"),
    Table("review_queue", "review_id"),
    Table("jobs"),
    # A party's history says what happened to that party: merged away, its changes stay with it.
    Table("party_changes", time_column="changed_at", party_column="party_id", on_merge=KEEP),
    # An erased person's suppression stays with the party that was erased (nothing left of it can match).
    Table("suppressions", party_column="party_id", on_merge=KEEP),
    Table("web_sessions", time_column="started_at"),
    # Relationships (issue 15): a link moves with both of its parties (party_links names the other one).
    Table("party_links", "link_id", ("source", "external_id"), import_kind="party_links", party_column="party_id",
          on_merge=MOVE, row_key="external_id", party_links=("other_party_id",), lake=True, status=True),
    Table("assessments", "assessment_id", ("source", "external_id"), "assessed_at", party_column="party_id",
          on_merge=MOVE, row_key="external_id", lake=True),
    # Acting on relationships (issue 16): what was decided and sent for a party stays as it was written.
    Table("playbooks", "playbook_id"),
    Table("campaigns", "campaign_id"),
    Table("campaign_members", key=("campaign_id", "party_id"), party_column="party_id", on_merge=KEEP),
    Table("outbox", "message_id", party_column="party_id", on_merge=KEEP),
    Table("contact_events", time_column="occurred_at", party_column="party_id", on_merge=KEEP),
    Table("tasks", "task_id", party_column="party_id", on_merge=KEEP),
    Table("saved_views", "view_id"),
    Table("settings", key=("name",)),
    # Service quality (issue 14): benchmark and management scores, not a party's.
    Table("quality_references", "reference_id"),
    # Hardening (issue 12): who tried to sign in, and from where.
    Table("sign_in_attempts", time_column="attempted_at"),
    # Playbook triggers (issue 16): when each was evaluated; vouchers and lists stay as they were issued.
    Table("trigger_evaluations", "evaluation_id"),
    Table("vouchers", "voucher_id", ("code",), party_column="party_id", on_merge=KEEP),
    Table("list_members", key=("list_name", "party_id"), party_column="party_id", on_merge=KEEP),
    # The search index (issue 11) is made from the parties' rows: a merge and its undo make the rows of both
    # parties again (patron.store.search_index.refresh), rather than moving them.
    Table("party_search", party_column="party_id", on_merge=KEEP),
    # The read model (issue 11, migration 22) is made from the parties' rows and their facts: a merge and its undo
    # make the rows of both parties again (patron.store.picture.refresh), rather than moving them.
    Table("party_picture", key=("party_id",), party_column="party_id", on_merge=KEEP),
    Table("consent_latest", key=("party_id", "channel", "purpose"), party_column="party_id", on_merge=KEEP),
    # Each complaint's clocks (issue 14): made from the complaint and its thread, computed again when they change.
    Table("complaint_clocks", key=("complaint_id",)),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: Tables whose rows belong to one party and move with it in a merge, with the column naming the row.
OWNED_TABLES: dict[str, str] = {t.name: t.row_key for t in TABLES if t.on_merge == MOVE}
#: Per table that moves with its party: the columns a merge re-points (its party column, then its links).
MOVED_COLUMNS: dict[str, tuple[str, ...]] = {t.name: (t.party_column, *t.party_links) for t in TABLES
                                             if t.on_merge == MOVE}
#: Columns of ``parties`` that point at another party.
PARTY_LINKS: tuple[str, ...] = BY_NAME["parties"].party_links
#: Keys that must be unique (see :class:`Table`).
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {t.name: t.key for t in TABLES if t.key}
#: Tables a lake holds.
LAKE_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES if t.lake)
#: Import kind -> the table its records go to.
IMPORT_TABLES: dict[str, Table] = {t.import_kind: t for t in TABLES if t.import_kind}
if tuple(IMPORT_TABLES) != IMPORT_KINDS:  # pragma: no cover - caught by the first import of a wrong edit
    raise RuntimeError(f"the registry imports {tuple(IMPORT_TABLES)}, the vocabulary names {IMPORT_KINDS}")
#: Tables ``patron status`` counts, in order.
STATUS_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES if t.status)


def table(name: str) -> Table:
    """The entry of table ``name``."""
    return BY_NAME[name]
