"""What the workbench needs to keep data safe: undoable imports, a change history, consent's lawful basis,
a suppression list, and which run is the current picture.

- ``imports.undone_at`` / ``undone_by``: an import that was undone (``patron import undo``) stays listed.
- ``party_changes``: every change of a party's field (which, old and new value, when, by whom or which
  import), so that the customer page shows it and an import's changes can be restored.
- ``consents.lawful_basis`` and ``consents.evidence``: the ledger says why a message may be sent
  (consent, contract, legitimate interest, ...) and where the consent was given.
- ``suppressions``: people who must never be contacted, nor recreated by a later import (an erased person, a
  global opt-out): their party, and the SHA-256 of their keys, email and phone, never the values in clear.
- ``runs.status``: ``current`` for the run the pages show, set only on a run whose fit converged; an admin
  may promote another.
"""

NAME = "the workbench: undoable imports, party change history, consent basis, suppressions, current run"
STATEMENTS = (
    "ALTER TABLE imports ADD COLUMN undone_at TIMESTAMP",
    "ALTER TABLE imports ADD COLUMN undone_by VARCHAR",
    """
    CREATE TABLE party_changes (
        party_id    BIGINT NOT NULL,
        field       VARCHAR NOT NULL,
        old_value   VARCHAR,
        new_value   VARCHAR,
        changed_at  TIMESTAMP NOT NULL,
        changed_by  VARCHAR,
        import_id   BIGINT,
        how         VARCHAR NOT NULL
    )
    """,
    "CREATE INDEX party_changes_party ON party_changes (party_id)",
    "ALTER TABLE consents ADD COLUMN lawful_basis VARCHAR",
    "ALTER TABLE consents ADD COLUMN evidence VARCHAR",
    """
    CREATE TABLE suppressions (
        party_id     BIGINT NOT NULL,
        source       VARCHAR,
        key_sha256   VARCHAR,
        email_sha256 VARCHAR,
        phone_sha256 VARCHAR,
        reason       VARCHAR NOT NULL,
        created_at   TIMESTAMP NOT NULL,
        created_by   VARCHAR
    )
    """,
    "ALTER TABLE runs ADD COLUMN status VARCHAR",
)
