"""The current picture of each party (issue 11): one row a party, read by the customer list, search and the 360.

- ``party_picture``: the party's fields a list filters and sorts on, its scores from the current run
  (``run_id`` names it; NULL where the run did not score the party or no run is current), the time of its newest
  interaction and its last activity (the later of that and the run's last purchase), its latest consent per
  channel whatever the purpose (``consent_email`` ...: TRUE granted, FALSE withdrawn, NULL never asked) and
  whether it is on the suppression list.
- ``consent_latest``: each party's latest consent row per channel and purpose (the ledger stays in
  ``consents``).

Both are made from the tables they summarise, by :mod:`patron.store.picture`: again for the parties a writer
changed, inside its transaction (imports and their undo, merges and their undo, forms, the activity composer,
erasure), and whole when a run becomes the current picture. A store that held parties before this migration is
marked in ``settings`` (``party_picture``) and builds its picture at its first list, search or 360.
"""

NAME = "party picture"
STATEMENTS = (
    """
    CREATE TABLE party_picture (
        party_id             BIGINT NOT NULL,
        kind                 VARCHAR,
        category             VARCHAR,
        name                 VARCHAR,
        email                VARCHAR,
        phone                VARCHAR,
        city                 VARCHAR,
        country              VARCHAR,
        acquisition_channel  VARCHAR,
        owner                VARCHAR,
        run_id               BIGINT,
        rung                 VARCHAR,
        rung_level           INTEGER,
        triage               VARCHAR,
        rfm_segment          VARCHAR,
        clv                  DOUBLE,
        p_alive              DOUBLE,
        revenue              DOUBLE,
        health               DOUBLE,
        at_risk              BOOLEAN,
        last_purchase_at     TIMESTAMP,
        last_interaction_at  TIMESTAMP,
        last_activity        TIMESTAMP,
        consent_email        BOOLEAN,
        consent_phone        BOOLEAN,
        consent_sms          BOOLEAN,
        consent_post         BOOLEAN,
        consent_push         BOOLEAN,
        suppressed           BOOLEAN NOT NULL DEFAULT FALSE
    )
    """,
    "CREATE INDEX party_picture_party ON party_picture (party_id)",
    """
    CREATE TABLE consent_latest (
        party_id      BIGINT NOT NULL,
        channel       VARCHAR NOT NULL,
        purpose       VARCHAR NOT NULL,
        granted       BOOLEAN NOT NULL,
        recorded_at   TIMESTAMP NOT NULL,
        lawful_basis  VARCHAR,
        consent_id    BIGINT NOT NULL
    )
    """,
    "CREATE INDEX consent_latest_party ON consent_latest (party_id)",
    # A store that already holds parties builds its picture at its first list, search or 360.
    """
    INSERT INTO settings (name, value, updated_at, updated_by)
    SELECT 'party_picture', 'to build', now()::TIMESTAMP, 'patron' WHERE EXISTS (SELECT 1 FROM parties)
    """,
)
