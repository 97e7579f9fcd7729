"""A complaint set back to open loses its resolution and the satisfaction after it; the audit row keeps them."""

from __future__ import annotations

import json

import pytest

from patron.areas.complaints.service import change_complaint_status, open_complaint
from patron.areas.users.service import add_user
from patron.errors import InvalidInput
from patron.ingest import import_file


def test_reopening_clears_the_resolution(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,email\nC1,Ada Lovelace,ada@example.com\n")
    import_file(store, people, "parties")
    party = store.scalar("SELECT party_id FROM parties")
    user = add_user(store, "sam", "a long enough password", "service")
    c = open_complaint(store, user, party, category="delivery", description="late twice")
    c = change_complaint_status(store, user, c["complaint_id"], "resolved", resolution="courier changed",
                                satisfaction_after=1.5)
    assert (c["resolution"], c["satisfaction_after"]) == ("courier changed", 1.5)
    c = change_complaint_status(store, user, c["complaint_id"], "open")
    assert (c["status"], c["resolution"], c["satisfaction_after"], c["resolved_at"]) == ("open", None, None, None)
    detail = json.loads(store.scalar("SELECT detail FROM audit_log WHERE action = 'complaint.status' "
                                     "ORDER BY happened_at DESC LIMIT 1"))
    assert detail == {"from": "resolved", "to": "open", "cleared_resolution": "courier changed",
                      "cleared_satisfaction_after": 1.5}
    with pytest.raises(InvalidInput, match="belong to a resolved or closed complaint"):
        change_complaint_status(store, user, c["complaint_id"], "in_progress", satisfaction_after=5)
    c = change_complaint_status(store, user, c["complaint_id"], "resolved", resolution="refunded")
    assert (c["resolution"], c["satisfaction_after"]) == ("refunded", None)
