"""Each complaint its own thread (issue 14): ``interactions.complaint_id`` names the complaint a message belongs to.

Before, a complaint's thread was every service message of its customer between its first response and its
resolution, so two complaints open at once for one customer shared one thread (and one next-response clock).
A message logged against a complaint now names it. The messages already in the store are linked here by the
rule the desk keeps for messages that name none (imported ones): a service message (a direction, department
``service`` or none) belongs to the customer's newest complaint open when it was sent (opened at or before it,
not yet resolved), ties to the higher complaint number (:func:`patron.act.triggers.complaint_threads`).

(Migration 23 in its branch, 24 at merge.)
"""

NAME = "complaint threads: interactions.complaint_id"
STATEMENTS = (
    "ALTER TABLE interactions ADD COLUMN complaint_id BIGINT",
    "CREATE INDEX interactions_complaint ON interactions (complaint_id)",
    """
    UPDATE interactions SET complaint_id = (
        SELECT c.complaint_id FROM complaints c
        WHERE c.party_id = interactions.party_id AND c.opened_at <= interactions.occurred_at
          AND (c.resolved_at IS NULL OR c.resolved_at > interactions.occurred_at)
        ORDER BY c.opened_at DESC, c.complaint_id DESC LIMIT 1)
    WHERE complaint_id IS NULL AND direction IS NOT NULL AND coalesce(department, 'service') = 'service'
      AND EXISTS (SELECT 1 FROM complaints c WHERE c.party_id = interactions.party_id
                  AND c.opened_at <= interactions.occurred_at
                  AND (c.resolved_at IS NULL OR c.resolved_at > interactions.occurred_at))
    """,
)
