"""Playbook triggers, voucher codes and lists (issue 16).

- ``trigger_evaluations``: each time a playbook's trigger was evaluated (by ``patron playbook run-due`` or the
  service's scheduler): when, against which run, how many parties it matched, the campaign it started (if any)
  and any error. The last row per playbook is where the next evaluation starts from, so an event fires once.
- ``vouchers``: offer codes issued to a campaign's treated members, unique, with when they were redeemed.
- ``list_members``: a named list of parties (the "add to a list" action and lists made by hand), with who and
  which campaign added each one.
"""

NAME = "playbook trigger evaluations, voucher codes and lists"
STATEMENTS = (
    """
    CREATE TABLE trigger_evaluations (
        evaluation_id  BIGINT NOT NULL,
        playbook_id    BIGINT NOT NULL,
        evaluated_at   TIMESTAMP NOT NULL,
        run_id         BIGINT,
        matched        BIGINT NOT NULL DEFAULT 0,
        campaign_id    BIGINT,
        detail         VARCHAR,
        error          VARCHAR
    )
    """,
    "CREATE INDEX trigger_evaluations_playbook ON trigger_evaluations (playbook_id, evaluated_at)",
    """
    CREATE TABLE vouchers (
        voucher_id   BIGINT NOT NULL,
        code         VARCHAR NOT NULL UNIQUE,
        campaign_id  BIGINT,
        party_id     BIGINT,
        issued_at    TIMESTAMP NOT NULL,
        expires_at   TIMESTAMP,
        redeemed_at  TIMESTAMP,
        value        VARCHAR
    )
    """,
    """
    CREATE TABLE list_members (
        list_name    VARCHAR NOT NULL,
        party_id     BIGINT NOT NULL,
        added_at     TIMESTAMP NOT NULL,
        added_by     VARCHAR,
        campaign_id  BIGINT
    )
    """,
)
