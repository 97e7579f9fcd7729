"""The canonical relationship store: parties and their identities, the facts about them, imports and
the quarantine."""

from patron.store.vocabulary import (
    COMPLAINT_SEVERITIES,
    COMPLAINT_STATUSES,
    DEPARTMENTS,
    FEEDBACK_INSTRUMENTS,
    INTERACTION_CHANNELS,
    INTERACTION_DIRECTIONS,
    INTERACTION_PHASES,
    PARTY_CATEGORIES,
    PARTY_KINDS,
    SERVQUAL_DIMENSIONS,
    TRANSACTION_KINDS,
    sql_list,
)

NAME = "canonical relationship store"
STATEMENTS = (
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
        kind                VARCHAR NOT NULL DEFAULT 'person' CHECK (kind IN {sql_list(PARTY_KINDS)}),
        category            VARCHAR NOT NULL DEFAULT 'customer' CHECK (category IN {sql_list(PARTY_CATEGORIES)}),
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
        kind            VARCHAR NOT NULL CHECK (kind IN {sql_list(TRANSACTION_KINDS)}),
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
        channel         VARCHAR NOT NULL CHECK (channel IN {sql_list(INTERACTION_CHANNELS)}),
        direction       VARCHAR CHECK (direction IN {sql_list(INTERACTION_DIRECTIONS)}),
        department      VARCHAR CHECK (department IN {sql_list(DEPARTMENTS)}),
        phase           VARCHAR CHECK (phase IN {sql_list(INTERACTION_PHASES)}),
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
        instrument      VARCHAR NOT NULL CHECK (instrument IN {sql_list(FEEDBACK_INSTRUMENTS)}),
        item            VARCHAR,
        dimension       VARCHAR CHECK (dimension IN {sql_list(SERVQUAL_DIMENSIONS)}),
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
        severity            VARCHAR NOT NULL DEFAULT 'medium' CHECK (severity IN {sql_list(COMPLAINT_SEVERITIES)}),
        status              VARCHAR NOT NULL DEFAULT 'open' CHECK (status IN {sql_list(COMPLAINT_STATUSES)}),
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
