"""Analysis runs and one row of scores per party per run."""

NAME = "analysis runs and per-party scores"
STATEMENTS = (
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
