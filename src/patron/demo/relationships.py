"""The demo company's relationships (issue 15): each business contact's role in their account's buying
centre and their reporting line, exported by the sales CRM as a relationships file, with the truth.

Roles follow the job titles (a managing director decides, a finance director approves, a purchasing
manager buys...), and in each account everyone reports to its most senior contact, so an account's org
chart is a star under one person and its buying-centre coverage is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from patron.demo import b2b, text

#: The buying-centre role of each of :data:`patron.demo.b2b.JOB_TITLES`, and its seniority (lower: more senior).
ROLE_OF_TITLE = {"Managing Director": ("decider", 0), "Finance Director": ("approver", 1),
                 "Head of Facilities": ("influencer", 2), "Purchasing Manager": ("buyer", 3),
                 "Operations Manager": ("initiator", 4), "Office Manager": ("user", 5),
                 "Barista Lead": ("user", 6), "Assistant": ("gatekeeper", 7)}



def _keys(acc: b2b.Accounts):
    accounts = text.join("ACC-", text.ints(np.arange(1, acc.size + 1), 6))
    contacts = text.join("CON-", text.ints(np.arange(1, len(acc.contact_org) + 1), 7))
    return accounts, contacts


def planted(acc: b2b.Accounts) -> dict[str, np.ndarray]:
    """Per contact: buying role, and the index of the contact they report to (-1: the account's head)."""
    roles = np.array([ROLE_OF_TITLE[b2b.JOB_TITLES[t]][0] for t in acc.contact_title], dtype=object)
    rank = np.array([ROLE_OF_TITLE[b2b.JOB_TITLES[t]][1] for t in acc.contact_title])
    c = len(acc.contact_org)
    order = np.lexsort((np.arange(c), rank, acc.contact_org))  # by account, most senior first
    head = np.full(acc.size, -1)
    first = np.r_[True, acc.contact_org[order][1:] != acc.contact_org[order][:-1]]
    head[acc.contact_org[order][first]] = order[first]
    boss = head[acc.contact_org]
    boss = np.where(boss == np.arange(c), -1, boss)
    return {"role": roles, "reports_to": boss}


def relationships(acc: b2b.Accounts) -> pa.Table:
    """The CRM's relationships export: a buying-role row per contact, a reports-to row per non-head."""
    accounts, contacts = _keys(acc)
    truth = planted(acc)
    c = len(acc.contact_org)
    reports = np.flatnonzero(truth["reports_to"] >= 0)
    return pa.table({
        "Relationship ID": text.join("REL-", text.ints(np.arange(1, c + len(reports) + 1), 8)),
        "Contact ID": pa.concat_arrays([contacts, pc.take(contacts, pa.array(reports, pa.int64()))]),
        "Related ID": pa.concat_arrays([pc.take(accounts, pa.array(acc.contact_org, pa.int64())),
                                        pc.take(contacts, pa.array(truth["reports_to"][reports], pa.int64()))]),
        "Relation": pa.concat_arrays([text.repeat("buying_role", c), text.repeat("reports_to", len(reports))]),
        "Role": pa.concat_arrays([pa.array(list(truth["role"]), pa.string()), pa.nulls(len(reports), pa.string())]),
    })


def write_truth(acc: b2b.Accounts, out: Path) -> None:
    """``truth_relationships.parquet``: every contact's account, buying role and manager (CRM keys)."""
    accounts, contacts = _keys(acc)
    truth = planted(acc)
    boss = truth["reports_to"]
    manager = pc.if_else(pa.array(boss >= 0), pc.take(contacts, pa.array(np.maximum(boss, 0), pa.int64())), None)
    pq.write_table(pa.table({
        "contact_key": contacts, "account_key": pc.take(accounts, pa.array(acc.contact_org, pa.int64())),
        "buying_role": pa.array(list(truth["role"]), pa.string()), "reports_to_key": manager,
    }), Path(out) / "truth_relationships.parquet")
