"""Users, API tokens and the audit log."""

from patron.store.vocabulary import ROLES, sql_list

NAME = "users, API tokens and the audit log"
STATEMENTS = (
    f"""
    CREATE TABLE users (
        user_id        BIGINT PRIMARY KEY,
        username       VARCHAR NOT NULL UNIQUE,
        full_name      VARCHAR,
        role           VARCHAR NOT NULL CHECK (role IN {sql_list(ROLES)}),
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
