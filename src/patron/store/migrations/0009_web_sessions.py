"""Page sessions kept in the store.

A page session was only a signed cookie: signing out cleared it in the browser, but a copy of the cookie
went on working for hours. Now the cookie carries a random key whose hash is a row here; signing out,
disabling the user or changing their password ends the row, and a cookie whose row has ended is refused.
"""

NAME = "page sessions kept in the store"
STATEMENTS = (
    """
    CREATE TABLE web_sessions (
        session_hash  VARCHAR NOT NULL,
        user_id       BIGINT NOT NULL,
        started_at    TIMESTAMP NOT NULL,
        ended_at      TIMESTAMP
    )
    """,
)
