"""Identity resolution (issue 5): merges that can be undone, the crosswalk of source keys, the review queue
of doubtful pairs and the evidence behind every scored pair."""

from patron.store.vocabulary import MATCH_DECISIONS, REVIEW_STATUSES, sql_list

NAME = "identity resolution: merges, crosswalk, review queue, match evidence"
STATEMENTS = (
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
    f"""
    CREATE TABLE match_pairs (
        run_id             BIGINT NOT NULL,
        left_party_id      BIGINT NOT NULL,
        right_party_id     BIGINT NOT NULL,
        match_weight       DOUBLE NOT NULL,
        match_probability  DOUBLE NOT NULL,
        decision           VARCHAR NOT NULL CHECK (decision IN {sql_list(MATCH_DECISIONS)})
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
        status             VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN {sql_list(REVIEW_STATUSES)}),
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
