"""Acting on relationships (issue 16) and the workbench's own records (issue 11).

- ``parties.owner`` (the user who looks after the relationship: the account owner a task goes to) and
  ``parties.time_zone`` (IANA name; quiet hours are kept in the person's own time); ``merged_parties``, which
  keeps a merged party's row, gains both too.
- ``playbooks``: trigger -> audience -> action -> measure, each one's definition kept as TOML text.
- ``campaigns``: one sending of a playbook (or a one-off), with its audience, action, control share and state.
- ``campaign_members``: who was in a campaign's audience and in which arm: ``treated``, ``control`` (the
  campaign's random control), ``holdout`` (the global hash-bucket holdout) or ``excluded`` (with the reason:
  no consent, suppressed, over the frequency cap, ...). Measurement compares treated with control.
- ``outbox``: every message patron is to send, one row each, with an idempotency key that is unique, so a
  message is queued once and a crash or a restart never sends it twice; delivery claims rows, sends them and
  records the outcome (sent, blocked at send time with the reason, retried, dead-lettered).
- ``contact_events``: what happened to contacts: sent, blocked, bounce, complaint, unsubscribe, open, click,
  response (frequency caps count sends here; bounces and complaints are acted on from here).
- ``tasks``: work for a person (call this customer), from a playbook or entered by hand, with an owner and a due date.
- ``saved_views``: a list's filters kept under a name (and an audience a playbook can target).
- ``settings``: named values an admin changes (the global holdout's share, caps, quiet hours, ...), audited.
"""

NAME = "acting on relationships: playbooks, campaigns, the outbox, contact events, tasks, saved views"
STATEMENTS = (
    "ALTER TABLE parties ADD COLUMN owner VARCHAR",
    "ALTER TABLE parties ADD COLUMN time_zone VARCHAR",
    "ALTER TABLE merged_parties ADD COLUMN owner VARCHAR",
    "ALTER TABLE merged_parties ADD COLUMN time_zone VARCHAR",
    """
    CREATE TABLE playbooks (
        playbook_id  BIGINT NOT NULL,
        name         VARCHAR NOT NULL,
        definition   VARCHAR NOT NULL,
        status       VARCHAR NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'archived')),
        created_at   TIMESTAMP NOT NULL,
        created_by   VARCHAR,
        updated_at   TIMESTAMP,
        updated_by   VARCHAR
    )
    """,
    """
    CREATE TABLE campaigns (
        campaign_id    BIGINT NOT NULL,
        playbook_id    BIGINT,
        name           VARCHAR NOT NULL,
        channel        VARCHAR NOT NULL,
        purpose        VARCHAR,
        audience       VARCHAR NOT NULL,
        action         VARCHAR NOT NULL,
        control_share  DOUBLE NOT NULL DEFAULT 0.1,
        run_id         BIGINT,
        status         VARCHAR NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'running', 'paused', 'done', 'cancelled')),
        seed           BIGINT NOT NULL DEFAULT 0,
        created_at     TIMESTAMP NOT NULL,
        created_by     VARCHAR,
        launched_at    TIMESTAMP,
        launched_by    VARCHAR,
        finished_at    TIMESTAMP
    )
    """,
    """
    CREATE TABLE campaign_members (
        campaign_id  BIGINT NOT NULL,
        party_id     BIGINT NOT NULL,
        arm          VARCHAR NOT NULL CHECK (arm IN ('treated', 'control', 'holdout', 'excluded')),
        reason       VARCHAR,
        assigned_at  TIMESTAMP NOT NULL,
        message_id   BIGINT
    )
    """,
    """
    CREATE TABLE outbox (
        message_id       BIGINT NOT NULL,
        idempotency_key  VARCHAR NOT NULL,
        campaign_id      BIGINT,
        party_id         BIGINT,
        channel          VARCHAR NOT NULL,
        purpose          VARCHAR,
        recipient        VARCHAR,
        subject          VARCHAR,
        body             VARCHAR,
        payload          VARCHAR,
        status           VARCHAR NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'sending', 'sent', 'blocked', 'failed', 'dead')),
        reason           VARCHAR,
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TIMESTAMP,
        claimed_at       TIMESTAMP,
        claimed_by       VARCHAR,
        last_error       VARCHAR,
        created_at       TIMESTAMP NOT NULL,
        sent_at          TIMESTAMP
    )
    """,
    "CREATE UNIQUE INDEX outbox_idempotency ON outbox (idempotency_key)",
    """
    CREATE TABLE contact_events (
        party_id     BIGINT,
        message_id   BIGINT,
        campaign_id  BIGINT,
        channel      VARCHAR,
        kind         VARCHAR NOT NULL CHECK (kind IN ('sent', 'blocked', 'bounce', 'complaint', 'unsubscribe',
                                                     'open', 'click', 'response')),
        detail       VARCHAR,
        occurred_at  TIMESTAMP NOT NULL,
        recorded_by  VARCHAR
    )
    """,
    """
    CREATE TABLE tasks (
        task_id      BIGINT NOT NULL,
        party_id     BIGINT,
        title        VARCHAR NOT NULL,
        body         VARCHAR,
        owner        VARCHAR,
        due_at       TIMESTAMP,
        status       VARCHAR NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
        source       VARCHAR NOT NULL DEFAULT 'patron',
        campaign_id  BIGINT,
        created_at   TIMESTAMP NOT NULL,
        created_by   VARCHAR,
        done_at      TIMESTAMP,
        done_by      VARCHAR
    )
    """,
    """
    CREATE TABLE saved_views (
        view_id     BIGINT NOT NULL,
        name        VARCHAR NOT NULL,
        area        VARCHAR NOT NULL,
        filters     VARCHAR NOT NULL,
        owner       VARCHAR,
        shared      BOOLEAN NOT NULL DEFAULT FALSE,
        created_at  TIMESTAMP NOT NULL,
        updated_at  TIMESTAMP
    )
    """,
    """
    CREATE TABLE settings (
        name        VARCHAR NOT NULL,
        value       VARCHAR NOT NULL,
        updated_at  TIMESTAMP NOT NULL,
        updated_by  VARCHAR
    )
    """,
    "CREATE UNIQUE INDEX settings_name ON settings (name)",
    "CREATE INDEX campaign_members_campaign ON campaign_members (campaign_id)",
    "CREATE INDEX contact_events_party ON contact_events (party_id)",
)
