"""The demo company's account hierarchies (issue 15; seed 000's network of a firm, and the account
hierarchies CRM users ask for): some business accounts are groups, a head office with subsidiaries
(``parent_of``), and a subsidiary may run a site of its own (``location_of``), so a group is two levels
deep at most. The sales CRM exports the links with the contact roles (``crm_relationships.csv``), and
the truth (``truth.json`` under ``hierarchy``) names each group's members, their depth and what the
group invoiced in all, which the account view's roll-up must add up to.

The accounts are the ones :mod:`patron.demo.b2b` simulated; only the links are new. The draws come from
their own stream, so the rest of the demo is what it was without them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from patron.demo import b2b, exports

#: About one account in GROUP_EVERY heads a group (at least one group when there are 3 accounts or more).
GROUP_EVERY = 6
#: A group's subsidiaries (drawn from 1 to this many), and the chance that its first subsidiary runs a site.
MAX_SUBSIDIARIES = 3
SITE_SHARE = 0.5


def plant(rng: np.random.Generator, acc: b2b.Accounts) -> list[dict]:
    """The groups: each ``{"parent": i, "members": [(child, parent, link_type, depth), ...]}`` over account
    indices, every account in one group at most."""
    n = acc.size
    if n < 3:
        return []
    order = rng.permutation(n)
    groups, used = [], 0
    for _ in range(max(1, n // GROUP_EVERY)):
        subsidiaries = int(rng.integers(1, MAX_SUBSIDIARIES + 1))
        site = rng.random() < SITE_SHARE
        size = 1 + subsidiaries + int(site)
        if used + size > n:
            break
        head, *rest = (int(i) for i in order[used:used + size])
        used += size
        members = [(child, head, "parent_of", 1) for child in rest[:subsidiaries]]
        if site:
            members.append((rest[-1], rest[0], "location_of", 2))
        groups.append({"parent": head, "members": members})
    return groups


def links(acc: b2b.Accounts, groups: list[dict]) -> pa.Table:
    """Rows for ``crm_relationships.csv``: the head or subsidiary (Contact ID) is parent of or runs the
    location (Related ID)."""
    keys = exports.crm_account_keys(acc).to_pylist()
    rows = [(keys[parent], keys[child], kind) for g in groups for child, parent, kind, _ in g["members"]]
    return pa.table({"Relationship ID": [f"REL-H{i:05d}" for i in range(1, len(rows) + 1)],
                     "Contact ID": pa.array([r[0] for r in rows], pa.string()),
                     "Related ID": pa.array([r[1] for r in rows], pa.string()),
                     "Relation": pa.array([r[2] for r in rows], pa.string()),
                     "Role": pa.nulls(len(rows), pa.string())})


def truth(acc: b2b.Accounts, groups: list[dict]) -> dict:
    """``truth.json``'s ``hierarchy``: per group its head's CRM key, its members (key, parent's key, link,
    depth), and the invoices, contacts and sales activities of the whole group."""
    keys = exports.crm_account_keys(acc).to_pylist()
    invoiced = np.bincount(acc.invoice_org, weights=acc.invoice_cents, minlength=acc.size) / 100.0
    contacts = np.bincount(acc.contact_org, minlength=acc.size)
    activities = np.bincount(acc.contact_org[acc.activity_contact], minlength=acc.size)
    out = []
    for g in groups:
        everyone = [g["parent"], *(m[0] for m in g["members"])]
        out.append({
            "parent_key": keys[g["parent"]],
            "members": [{"key": keys[c], "parent_key": keys[p], "link_type": kind, "depth": depth}
                        for c, p, kind, depth in g["members"]],
            "invoiced": round(float(invoiced[everyone].sum()), 2),
            "contacts": int(contacts[everyone].sum()),
            "activities": int(activities[everyone].sum()),
        })
    return {"groups": out, "group_every": GROUP_EVERY, "site_share": SITE_SHARE,
            "notes": "parent_of: a head office over a subsidiary; location_of: a subsidiary over its site. "
                     "invoiced, contacts and activities count the head and every member."}
