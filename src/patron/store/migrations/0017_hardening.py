"""Hardening (issue 12): sign-in attempts, token expiry, who imported, raw bytes in the quarantine, audit detail.

- ``sign_in_attempts``: every attempt to sign in, by page or API, with the account name tried, the address it
  came from and whether it succeeded. Throttling counts recent failures per account and per address here.
- ``api_tokens.expires_at``: a token stops working at this time (NULL: the token was made before expiry
  existed, and the service applies the configured lifetime from ``created_at``).
- ``imports.user_id`` and ``imports.username``: who ran an import (NULL for the imports before this).
- ``imports.encoding``: the text encoding a file was read with (``utf-8`` unless the user chose another).
- ``quarantine.raw_base64``: the rejected line's original bytes, base64-encoded, so a line that did not decode
  is kept exactly as it came and can be re-read with the right encoding.
- ``audit_log.row_count`` (how many rows an export or read handed out) and ``audit_log.address`` (where the
  request came from), so the log answers "who saw or took this person's data, and when".
"""

NAME = "hardening: sign-in attempts, token expiry, who imported, raw quarantine bytes, audit detail"
STATEMENTS = (
    """
    CREATE TABLE sign_in_attempts (
        attempted_at  TIMESTAMP NOT NULL,
        username      VARCHAR NOT NULL,
        address       VARCHAR,
        succeeded     BOOLEAN NOT NULL,
        channel       VARCHAR NOT NULL DEFAULT 'page'
    )
    """,
    "CREATE INDEX sign_in_attempts_username ON sign_in_attempts (username, attempted_at)",
    "CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, attempted_at)",
    "ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP",
    "ALTER TABLE imports ADD COLUMN user_id BIGINT",
    "ALTER TABLE imports ADD COLUMN username VARCHAR",
    "ALTER TABLE imports ADD COLUMN encoding VARCHAR",
    "ALTER TABLE quarantine ADD COLUMN raw_base64 VARCHAR",
    "ALTER TABLE audit_log ADD COLUMN row_count BIGINT",
    "ALTER TABLE audit_log ADD COLUMN address VARCHAR",
    "CREATE INDEX audit_log_entity ON audit_log (entity, entity_id)",
)
