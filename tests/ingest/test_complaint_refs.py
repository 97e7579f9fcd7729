"""An interactions import names each message's complaint: by the complaint's key in the same source system, or by
patron's complaint number; a reference to no complaint, or to another customer's, is quarantined with its reason
(both stores: on PostgreSQL through the staging copy)."""

from __future__ import annotations

import datetime as dt

from patron.act.triggers import complaint_threads
from patron.ingest import import_file


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_messages_name_their_complaint_by_its_key_or_by_patrons_number(store, tmp_path):
    import_file(store, _file(tmp_path, "people.csv", "customer_id,name\nA,Ann\nB,Bob\n"), "parties", source="desk")
    import_file(store, _file(tmp_path, "tickets.csv", "ticket_id,customer_id,opened,first_response,category\n"
                                                      "T1,A,2025-03-03 09:00,2025-03-03 10:00,delivery\n"
                                                      "T2,B,2025-03-04 09:00,2025-03-04 09:30,billing\n"),
                "complaints", source="desk")
    ann, bob = (store.scalar("SELECT party_id FROM identities WHERE source = 'desk' AND source_key = ?", [k])
                for k in ("A", "B"))
    t1, t2 = (store.scalar("SELECT complaint_id FROM complaints WHERE external_id = ?", [k]) for k in ("T1", "T2"))
    # a complaint opened in patron for Ann: the help desk's export carries patron's number
    mine = store.scalar("SELECT max(complaint_id) + 1 FROM complaints")
    store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, "
                      "first_response_at, category, severity, status) VALUES (?, 'patron', ?, ?, ?, ?, 'billing', "
                      "'medium', 'in_progress')", [mine, str(mine), ann, dt.datetime(2025, 3, 3, 8),
                                                   dt.datetime(2025, 3, 3, 8, 30)])
    messages = ("id,customer_id,date,channel,direction,complaint\n"
                "M1,A,2025-03-03 12:00,email,inbound,T1\n"  # its key in the same source
                f"M2,A,2025-03-03 13:00,email,outbound,#{mine}\n"  # patron's number
                "M3,A,2025-03-03 14:00,email,inbound,T2\n"  # Bob's complaint
                "M4,B,2025-03-04 10:00,email,inbound,T9\n"  # no such complaint
                "M5,B,2025-03-04 11:00,email,outbound,\n"  # none named: the rule of the customer's open complaints
                f"M6,B,2025-03-04 12:00,email,inbound,{t2}\n")
    r = import_file(store, _file(tmp_path, "messages.csv", messages), "interactions", source="desk")
    assert (r.accepted, r.rejected) == (4, 2)
    assert dict(store.query("SELECT external_id, complaint_id FROM interactions")) == {
        "M1": t1, "M2": mine, "M5": None, "M6": t2}
    reasons = dict(store.query("SELECT line, reason FROM quarantine"))
    assert reasons[4] == (f"'T2' in column 'complaint' is a complaint of another customer (#{bob}), not of this "
                          "record's customer 'A'")
    assert reasons[5] == ("'T9' in column 'complaint' is neither the key of a complaint of desk nor a patron "
                          "complaint number: import the complaints first, or correct the reference")
    threads = complaint_threads(store)
    assert threads[t1] == [(dt.datetime(2025, 3, 3, 12), "inbound")]
    assert threads[mine] == [(dt.datetime(2025, 3, 3, 13), "outbound")]
    assert threads[t2] == [(dt.datetime(2025, 3, 4, 11), "outbound"), (dt.datetime(2025, 3, 4, 12), "inbound")]
    # imported again: nothing new, and the quarantine as it was
    again = import_file(store, _file(tmp_path, "messages.csv", messages), "interactions", source="desk")
    assert (again.accepted, again.already_present) == (0, 4)
    assert store.count("quarantine") == 2
