"""An admin's override of the global holdout as columns of ``campaigns`` (issue 16), no longer a key of its
``action`` JSON.

- ``holdout_override``: ``include`` (the holdout is contacted like anyone else in this campaign) or ``exclude``
  (left out of the campaign and its measurement); NULL keeps the holdout, never contacted and compared.
- ``holdout_override_by``, ``holdout_override_at``, ``holdout_override_why``: the admin, when, and why (each
  change is also in the audit log, ``campaign.holdout_override``).

A campaign overridden before this migration keeps its override in ``action`` and is read from there
(:func:`patron.areas.campaigns.service.get_campaign`) until it is overridden again.
"""

NAME = "holdout override columns"
STATEMENTS = (
    "ALTER TABLE campaigns ADD COLUMN holdout_override VARCHAR",
    "ALTER TABLE campaigns ADD COLUMN holdout_override_by VARCHAR",
    "ALTER TABLE campaigns ADD COLUMN holdout_override_at TIMESTAMP",
    "ALTER TABLE campaigns ADD COLUMN holdout_override_why VARCHAR",
)
