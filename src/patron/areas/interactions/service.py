"""Direct contacts as they happen: a call, an email, a meeting, logged against a party by the person who had it.

Seed 001 counts direct contacts (sales, service) and indirect ones (billing)
as what a CRM system holds; the interactions imported from a call centre or
an email tool land in the same table (:mod:`patron.areas.imports`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.areas.complaints import stored_clocks
from patron.areas.parties.service import require_party
from patron.errors import InvalidInput
from patron.service.audit import record
from patron.service.entered import SOURCE, choice, now
from patron.service.permissions import User
from patron.store import Store, picture
from patron.store.vocabulary import DEPARTMENTS, INTERACTION_CHANNELS, INTERACTION_DIRECTIONS, INTERACTION_PHASES

#: The department a role's contacts are logged for, where the role is one.
ROLE_DEPARTMENTS = {role: role for role in ("marketing", "sales", "service", "billing")}


def log_interaction(store: Store, user: User, party_id: int, *, channel: str, direction: str | None = None,
                    department: str | None = None, phase: str | None = None, subject: str | None = None,
                    outcome: str | None = None, notes: str | None = None, duration_s: float | None = None,
                    occurred_at: dt.datetime | None = None, complaint_id: int | None = None) -> dict[str, Any]:
    """Record a direct contact with a party; the staff member is the user. ``complaint_id`` puts it in that
    complaint's thread (one of the party's own), whose next-response clock it starts or stops."""
    user.require("customers.write")
    choice("channel", channel, INTERACTION_CHANNELS, required=True)
    choice("direction", direction, INTERACTION_DIRECTIONS)
    choice("department", department, DEPARTMENTS)
    choice("phase", phase, INTERACTION_PHASES)
    with store.transaction():
        require_party(store, party_id)
        if complaint_id is not None and store.scalar(
                "SELECT count(*) FROM complaints WHERE complaint_id = ? AND party_id = ?", [complaint_id, party_id]) == 0:
            raise InvalidInput(f"Complaint {complaint_id} is not one of this customer's complaints.")
        interaction_id = store.next_id("interactions", "interaction_id")
        at = occurred_at or now()
        store.raw.execute(
            "INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, channel, direction, "
            "department, phase, staff, subject, outcome, duration_s, notes, import_id, complaint_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            [interaction_id, SOURCE, str(interaction_id), party_id, at, channel, direction, department, phase,
             user.username, subject, outcome, duration_s, notes, complaint_id],
        )
        record(store, user, "interaction.create", "interaction", interaction_id,
               {"party_id": party_id, "channel": channel})
        picture.refresh_activity(store, party_id)  # its newest interaction and last activity
        stored_clocks.refresh_party(store, party_id)  # a message of a complaint's thread moves its clocks
    return {"interaction_id": interaction_id, "party_id": party_id, "occurred_at": at, "channel": channel,
            "direction": direction, "department": department, "phase": phase, "staff": user.username,
            "subject": subject, "outcome": outcome, "notes": notes, "duration_s": duration_s,
            "complaint_id": complaint_id}
