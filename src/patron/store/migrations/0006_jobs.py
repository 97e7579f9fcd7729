"""Background jobs of the web service (analysis runs, uploads), kept in the store so that any worker
process of ``patron serve --workers N`` can answer for a job another one runs."""

from patron.store.vocabulary import JOB_STATUSES, sql_list

NAME = "background jobs of the web service"
STATEMENTS = (
    f"""
    CREATE TABLE jobs (
        job_id       VARCHAR PRIMARY KEY,
        kind         VARCHAR NOT NULL,
        username     VARCHAR NOT NULL,
        status       VARCHAR NOT NULL CHECK (status IN {sql_list(JOB_STATUSES)}),
        step         VARCHAR NOT NULL DEFAULT '',
        progress     DOUBLE NOT NULL DEFAULT 0,
        started_at   TIMESTAMP NOT NULL,
        finished_at  TIMESTAMP,
        result       VARCHAR,
        error        VARCHAR
    )
    """,
)
