"""The canonical schema of the relationship store, as numbered migrations.

Every change to the schema is a new entry at the end of ``MIGRATIONS``; an
applied migration is never edited. Statements are written in DuckDB's SQL
dialect and translated by :mod:`patron.store.dialect` for other engines.

Conventions
-----------
- Timestamps are stored as ``TIMESTAMP`` in UTC. Importers convert values
  that carry a time zone and interpret values without one in the zone the
  mapping names (UTC by default).
- Money is ``DECIMAL(18, 4)`` in the row's own ``currency``: no float
  rounding on storage; analytics cast to ``DOUBLE`` where they model.
- Every fact row keeps where it came from: ``source`` (the system that
  exported it), ``external_id`` (its key in that system, or a content hash
  when the system has none) and ``import_id`` (the import that brought it).
  ``(source, external_id)`` is unique, which is what makes re-imports add
  nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Categories of exchange a party can have with the firm (seed 000:
#: supplier, buyer, lateral and internal partnerships).
PARTY_CATEGORIES = (
    "customer",  # immediate customer: buys from the firm
    "ultimate_customer",  # buys from the firm's customers (e.g. a retailer's shopper)
    "prospect",
    "supplier",
    "competitor",
    "non_profit",
    "government",
    "internal_unit",
    "employee",
)
PARTY_KINDS = ("person", "organisation")
TRANSACTION_KINDS = ("order", "refund", "invoice")
INTERACTION_CHANNELS = (
    "face_to_face", "phone", "email", "chat", "web", "letter", "event", "social", "sms", "other",
)
INTERACTION_DIRECTIONS = ("inbound", "outbound")
INTERACTION_PHASES = ("before", "during", "after")  # pre-, during and post-transaction service
DEPARTMENTS = ("marketing", "sales", "service", "billing", "operations", "management", "other")
FEEDBACK_INSTRUMENTS = (
    "nps", "csat", "ces", "servqual", "suggestion", "panel", "mystery_shopper", "review",
)
SERVQUAL_DIMENSIONS = ("reliability", "responsiveness", "assurance", "empathy", "tangibles")
COMPLAINT_STATUSES = ("open", "in_progress", "resolved", "closed")
COMPLAINT_SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


_INITIAL = (
    """
    CREATE TABLE imports (
        import_id      BIGINT PRIMARY KEY,
        kind           VARCHAR NOT NULL,
        source         VARCHAR NOT NULL,
        file_name      VARCHAR NOT NULL,
        file_sha256    VARCHAR NOT NULL,
        file_format    VARCHAR NOT NULL,
        preset         VARCHAR,
        mapping        VARCHAR,
        started_at     TIMESTAMP NOT NULL,
        finished_at    TIMESTAMP,
        rows_read      BIGINT NOT NULL DEFAULT 0,
        accepted       BIGINT NOT NULL DEFAULT 0,
        rejected       BIGINT NOT NULL DEFAULT 0,
        already_present BIGINT NOT NULL DEFAULT 0,
        new_parties    BIGINT NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE quarantine (
        import_id  BIGINT NOT NULL,
        file_name  VARCHAR NOT NULL,
        line       BIGINT,
        "column"   VARCHAR,
        raw        VARCHAR,
        reason     VARCHAR NOT NULL
    )
    """,
    f"""
    CREATE TABLE parties (
        party_id            BIGINT NOT NULL,
        kind                VARCHAR NOT NULL DEFAULT 'person' CHECK (kind IN {_in(PARTY_KINDS)}),
        category            VARCHAR NOT NULL DEFAULT 'customer' CHECK (category IN {_in(PARTY_CATEGORIES)}),
        name                VARCHAR,
        email               VARCHAR,
        phone               VARCHAR,
        address             VARCHAR,
        postcode            VARCHAR,
        city                VARCHAR,
        country             VARCHAR,
        birth_date          DATE,
        organisation_id     BIGINT,
        job_title           VARCHAR,
        acquired_at         TIMESTAMP,
        acquisition_channel VARCHAR,
        acquisition_cost    DECIMAL(18, 4),
        referred_by         BIGINT,
        created_at          TIMESTAMP NOT NULL,
        import_id           BIGINT
    )
    """,
    """
    CREATE TABLE identities (
        source      VARCHAR NOT NULL,
        source_key  VARCHAR NOT NULL,
        party_id    BIGINT NOT NULL,
        import_id   BIGINT
    )
    """,
    f"""
    CREATE TABLE transactions (
        transaction_id  BIGINT NOT NULL,
        source          VARCHAR NOT NULL,
        external_id     VARCHAR NOT NULL,
        party_id        BIGINT NOT NULL,
        kind            VARCHAR NOT NULL CHECK (kind IN {_in(TRANSACTION_KINDS)}),
        document        VARCHAR,
        occurred_at     TIMESTAMP NOT NULL,
        product         VARCHAR,
        description     VARCHAR,
        quantity        DOUBLE,
        unit_price      DECIMAL(18, 4),
        revenue         DECIMAL(18, 4) NOT NULL,
        cost            DECIMAL(18, 4),
        currency        VARCHAR NOT NULL DEFAULT 'XXX',
        channel         VARCHAR,
        country         VARCHAR,
        import_id       BIGINT
    )
    """,
    f"""
    CREATE TABLE interactions (
        interaction_id  BIGINT NOT NULL,
        source          VARCHAR NOT NULL,
        external_id     VARCHAR NOT NULL,
        party_id        BIGINT NOT NULL,
        occurred_at     TIMESTAMP NOT NULL,
        channel         VARCHAR NOT NULL CHECK (channel IN {_in(INTERACTION_CHANNELS)}),
        direction       VARCHAR CHECK (direction IN {_in(INTERACTION_DIRECTIONS)}),
        department      VARCHAR CHECK (department IN {_in(DEPARTMENTS)}),
        phase           VARCHAR CHECK (phase IN {_in(INTERACTION_PHASES)}),
        staff           VARCHAR,
        subject         VARCHAR,
        outcome         VARCHAR,
        duration_s      DOUBLE,
        notes           VARCHAR,
        import_id       BIGINT
    )
    """,
    f"""
    CREATE TABLE feedback (
        feedback_id     BIGINT NOT NULL,
        source          VARCHAR NOT NULL,
        external_id     VARCHAR NOT NULL,
        party_id        BIGINT NOT NULL,
        occurred_at     TIMESTAMP NOT NULL,
        instrument      VARCHAR NOT NULL CHECK (instrument IN {_in(FEEDBACK_INSTRUMENTS)}),
        item            VARCHAR,
        dimension       VARCHAR CHECK (dimension IN {_in(SERVQUAL_DIMENSIONS)}),
        score           DOUBLE,
        scale_max       DOUBLE,
        expectation     DOUBLE,
        perception      DOUBLE,
        benchmark       VARCHAR,
        text            VARCHAR,
        import_id       BIGINT
    )
    """,
    f"""
    CREATE TABLE complaints (
        complaint_id        BIGINT NOT NULL,
        source              VARCHAR NOT NULL,
        external_id         VARCHAR NOT NULL,
        party_id            BIGINT NOT NULL,
        opened_at           TIMESTAMP NOT NULL,
        first_response_at   TIMESTAMP,
        resolved_at         TIMESTAMP,
        channel             VARCHAR,
        category            VARCHAR,
        cause               VARCHAR,
        severity            VARCHAR NOT NULL DEFAULT 'medium' CHECK (severity IN {_in(COMPLAINT_SEVERITIES)}),
        status              VARCHAR NOT NULL DEFAULT 'open' CHECK (status IN {_in(COMPLAINT_STATUSES)}),
        description         VARCHAR,
        resolution          VARCHAR,
        satisfaction_after  DOUBLE,
        import_id           BIGINT
    )
    """,
    """
    CREATE TABLE consents (
        consent_id   BIGINT NOT NULL,
        source       VARCHAR NOT NULL,
        external_id  VARCHAR NOT NULL,
        party_id     BIGINT NOT NULL,
        channel      VARCHAR NOT NULL,
        purpose      VARCHAR NOT NULL,
        granted      BOOLEAN NOT NULL,
        recorded_at  TIMESTAMP NOT NULL,
        import_id    BIGINT
    )
    """,
)

#: Keys that must be unique. DuckDB enforces a declared UNIQUE constraint with
#: an ART index that makes bulk inserts 5-8x slower (measured: 3M rows in
#: 10.4 s instead of 2.5 s), so on DuckDB the importer enforces these keys
#: itself (anti-join before insert) and ``patron check`` verifies them;
#: engines where an index is cheap create them as unique indexes.
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "parties": ("party_id",),
    "identities": ("source", "source_key"),
    "transactions": ("source", "external_id"),
    "interactions": ("source", "external_id"),
    "feedback": ("source", "external_id"),
    "complaints": ("source", "external_id"),
    "consents": ("source", "external_id"),
    "scores": ("run_id", "party_id"),
}

_SCORES = (
    """
    CREATE TABLE runs (
        run_id        BIGINT PRIMARY KEY,
        kind          VARCHAR NOT NULL,
        started_at    TIMESTAMP NOT NULL,
        finished_at   TIMESTAMP,
        as_of         TIMESTAMP NOT NULL,
        engine        VARCHAR NOT NULL,
        settings      VARCHAR NOT NULL,
        diagnostics   VARCHAR,
        parties       BIGINT
    )
    """,
    """
    CREATE TABLE scores (
        run_id              BIGINT NOT NULL,
        party_id            BIGINT NOT NULL,
        frequency           BIGINT,
        recency             DOUBLE,
        t                   DOUBLE,
        monetary_value      DOUBLE,
        first_purchase_at   TIMESTAMP,
        last_purchase_at    TIMESTAMP,
        orders              BIGINT,
        revenue             DOUBLE,
        margin              DOUBLE,
        p_alive             DOUBLE,
        expected_purchases  DOUBLE,
        expected_spend      DOUBLE,
        clv                 DOUBLE,
        next_purchase_in    DOUBLE,
        r_score             INTEGER,
        f_score             INTEGER,
        m_score             INTEGER,
        rfm_segment         VARCHAR,
        rung                VARCHAR,
        rung_level          INTEGER,
        health              DOUBLE,
        health_trend        DOUBLE,
        triage              VARCHAR,
        value_tier          VARCHAR,
        quality_tier        VARCHAR,
        at_risk             BOOLEAN,
        reasons             VARCHAR
    )
    """,
)

ROLES = ("marketing", "sales", "service", "billing", "analyst", "admin")

#: The customer 360 and the API read one party's rows from every table; without an index each of those
#: reads scans the table (a p95 of 140 ms at 100k customers). A non-unique index on party_id makes them
#: point lookups, for a cost on bulk inserts (3M rows: 1.7 s -> 3.0 s), paid once per import.
_PARTY_INDEXES = tuple(
    f"CREATE INDEX {table}_party ON {table} (party_id)"
    for table in ("parties", "identities", "transactions", "interactions", "feedback", "complaints", "consents",
                  "scores")
)

_USERS = (
    f"""
    CREATE TABLE users (
        user_id        BIGINT PRIMARY KEY,
        username       VARCHAR NOT NULL UNIQUE,
        full_name      VARCHAR,
        role           VARCHAR NOT NULL CHECK (role IN {_in(ROLES)}),
        password_hash  VARCHAR NOT NULL,
        disabled       BOOLEAN NOT NULL DEFAULT FALSE,
        created_at     TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE api_tokens (
        token_id      BIGINT PRIMARY KEY,
        user_id       BIGINT NOT NULL,
        name          VARCHAR NOT NULL,
        token_hash    VARCHAR NOT NULL UNIQUE,
        created_at    TIMESTAMP NOT NULL,
        last_used_at  TIMESTAMP,
        revoked       BOOLEAN NOT NULL DEFAULT FALSE
    )
    """,
    """
    CREATE TABLE audit_log (
        happened_at TIMESTAMP NOT NULL,
        user_id     BIGINT,
        username    VARCHAR,
        action      VARCHAR NOT NULL,
        entity      VARCHAR,
        entity_id   BIGINT,
        detail      VARCHAR
    )
    """,
)

#: Identity resolution (issue 5): merges that can be undone, the crosswalk of source keys, the review queue
#: of doubtful pairs and the evidence behind every scored pair.
REVIEW_STATUSES = ("pending", "accepted", "rejected")
_RESOLVE = (
    """
    CREATE TABLE merges (
        merge_id            BIGINT PRIMARY KEY,
        run_id              BIGINT,
        surviving_party_id  BIGINT NOT NULL,
        merged_party_id     BIGINT NOT NULL,
        match_weight        DOUBLE,
        match_probability   DOUBLE,
        merged_at           TIMESTAMP NOT NULL,
        merged_by           VARCHAR NOT NULL,
        undone_at           TIMESTAMP,
        undone_by           VARCHAR
    )
    """,
    # Every row a merge re-pointed, with the party it pointed at before: undo puts each one back.
    # Facts and identities are named by (source, key); party links by the party row holding them.
    """
    CREATE TABLE merge_moves (
        merge_id       BIGINT NOT NULL,
        table_name     VARCHAR NOT NULL,
        column_name    VARCHAR NOT NULL,
        source         VARCHAR,
        row_key        VARCHAR,
        row_party_id   BIGINT,
        from_party_id  BIGINT NOT NULL
    )
    """,
    # The merged party's own row, as it was when it was merged away (undo puts it back).
    """
    CREATE TABLE merged_parties (
        merge_id            BIGINT NOT NULL,
        party_id            BIGINT NOT NULL,
        kind                VARCHAR NOT NULL,
        category            VARCHAR NOT NULL,
        name                VARCHAR,
        email               VARCHAR,
        phone               VARCHAR,
        address             VARCHAR,
        postcode            VARCHAR,
        city                VARCHAR,
        country             VARCHAR,
        birth_date          DATE,
        organisation_id     BIGINT,
        job_title           VARCHAR,
        acquired_at         TIMESTAMP,
        acquisition_channel VARCHAR,
        acquisition_cost    DECIMAL(18, 4),
        referred_by         BIGINT,
        created_at          TIMESTAMP NOT NULL,
        import_id           BIGINT
    )
    """,
    # Every source key, the party it was first given and the party it belongs to now.
    """
    CREATE TABLE crosswalk (
        source             VARCHAR NOT NULL,
        source_key         VARCHAR NOT NULL,
        original_party_id  BIGINT NOT NULL,
        party_id           BIGINT NOT NULL,
        merge_id           BIGINT
    )
    """,
    """
    CREATE TABLE match_pairs (
        run_id             BIGINT NOT NULL,
        left_party_id      BIGINT NOT NULL,
        right_party_id     BIGINT NOT NULL,
        match_weight       DOUBLE NOT NULL,
        match_probability  DOUBLE NOT NULL,
        decision           VARCHAR NOT NULL CHECK (decision IN ('merge', 'review', 'distinct', 'kept_apart'))
    )
    """,
    # Per pair and compared field: the level reached, whether it agreed, its Bayes factor and partial weight.
    """
    CREATE TABLE match_evidence (
        run_id          BIGINT NOT NULL,
        left_party_id   BIGINT NOT NULL,
        right_party_id  BIGINT NOT NULL,
        field           VARCHAR NOT NULL,
        level           VARCHAR NOT NULL,
        agreed          BOOLEAN NOT NULL,
        bayes_factor    DOUBLE NOT NULL,
        match_weight    DOUBLE NOT NULL
    )
    """,
    f"""
    CREATE TABLE review_queue (
        review_id          BIGINT PRIMARY KEY,
        run_id             BIGINT NOT NULL,
        left_party_id      BIGINT NOT NULL,
        right_party_id     BIGINT NOT NULL,
        match_weight       DOUBLE NOT NULL,
        match_probability  DOUBLE NOT NULL,
        explanation        VARCHAR NOT NULL,
        status             VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN {_in(REVIEW_STATUSES)}),
        created_at         TIMESTAMP NOT NULL,
        decided_by         VARCHAR,
        decided_at         TIMESTAMP,
        merge_id           BIGINT
    )
    """,
    "CREATE INDEX merge_moves_merge ON merge_moves (merge_id)",
    "CREATE INDEX crosswalk_party ON crosswalk (party_id)",
    "CREATE INDEX match_evidence_pair ON match_evidence (left_party_id, right_party_id)",
)

JOB_STATUSES = ("queued", "running", "done", "failed")

# Background jobs of the web service (analysis runs, uploads), kept in the store so that any worker
# process of ``patron serve --workers N`` can answer for a job another one runs.
_JOBS = (
    f"""
    CREATE TABLE jobs (
        job_id       VARCHAR PRIMARY KEY,
        kind         VARCHAR NOT NULL,
        username     VARCHAR NOT NULL,
        status       VARCHAR NOT NULL CHECK (status IN {_in(JOB_STATUSES)}),
        step         VARCHAR NOT NULL DEFAULT '',
        progress     DOUBLE NOT NULL DEFAULT 0,
        started_at   TIMESTAMP NOT NULL,
        finished_at  TIMESTAMP,
        result       VARCHAR,
        error        VARCHAR
    )
    """,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "canonical relationship store", _INITIAL),
    Migration(2, "analysis runs and per-party scores", _SCORES),
    Migration(3, "users, API tokens and the audit log", _USERS),
    Migration(4, "indexes for one party's records", _PARTY_INDEXES),
    Migration(5, "identity resolution: merges, crosswalk, review queue, match evidence", _RESOLVE),
    Migration(6, "background jobs of the web service", _JOBS),
    # A running job's process writes a sign of life every few seconds, so that a worker reporting the job of
    # a process that died (killed, restarted) can say so instead of showing it as running for ever.
    Migration(7, "a heartbeat for background jobs", ("ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMP",)),
)

#: Tables that hold facts about parties, with their key column and time column.
FACT_TABLES = {
    "transactions": ("transaction_id", "occurred_at"),
    "interactions": ("interaction_id", "occurred_at"),
    "feedback": ("feedback_id", "occurred_at"),
    "complaints": ("complaint_id", "opened_at"),
    "consents": ("consent_id", "recorded_at"),
}
