"""The partner programme of the demo company: customers who work with the firm (seed 001, 003).

A few loyal consumers sit on a co-creation panel that tastes and shapes new
blends, and some business accounts plan the coming year's range jointly with
their account manager. The programme's log (``partner_programme.csv``,
interactions keyed by the webshop customer number) is what the ladder of
loyalty reads as collaboration evidence; ``truth_partners.parquet`` names the
planted partners, so tests can check that the ladder finds them.

Chosen consumers: not duplicated, three or more orders, the last one in the
final 26 weeks (a current relationship). Chosen accounts: open for more than a
year and never lost. Their sessions lie in the final 40 weeks.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from patron.demo import b2b, exports, text
from patron.demo.customers import Population
from patron.demo.systems import ExportFile

PANEL_SHARE = 0.02  # of the eligible consumers
ACCOUNT_SHARE = 0.3  # of the eligible business accounts
PANEL_SUBJECTS = ("Co-creation panel: new espresso blend", "Co-creation panel: packaging test",
                  "Customer panel: subscription ideas")
PLANNING_SUBJECTS = ("Joint planning: next year's range", "Joint planning: machine roll-out")

PARTNER_PROGRAMME = ExportFile("partner_programme.csv", "partners", "interactions", "csv", mapping='''\
# The partner programme's log: co-creation panels with consumers, joint planning with business accounts.
kind = "interactions"
source = "partners"

[columns]
external_id = "session_id"
customer_key = "customer_no"
occurred_at = "held_at"
channel = "format"
subject = "topic"
staff = "host"

[values]
direction = "outbound"
department = "marketing"

[options]
key_source = "webshop"
''')


def plant(rng: np.random.Generator, pop: Population, accounts: b2b.Accounts, out) -> pa.Table:
    """Choose the partners, write ``truth_partners.parquet`` and return the programme's log."""
    end_w = pop.end_w
    orders = 1 + pop.x
    last_w = pop.acquired_w + pop.t_x
    eligible = np.flatnonzero((pop.duplicate_no < 0) & (orders >= 3) & (end_w - last_w < 26))
    persons = np.sort(rng.choice(eligible, size=min(len(eligible), max(3, round(PANEL_SHARE * len(eligible)))),
                                 replace=False)) if len(eligible) else eligible
    open_long = np.flatnonzero(~np.isfinite(accounts.lost_w) & (accounts.founded_w < end_w - 52))
    orgs = np.sort(rng.choice(open_long, size=min(len(open_long), max(1, round(ACCOUNT_SHARE * len(open_long)))),
                              replace=False)) if len(open_long) else open_long
    sessions_p = rng.integers(1, 4, len(persons))
    sessions_o = rng.integers(1, 3, len(orgs))
    who_p = np.repeat(persons, sessions_p)
    who_o = np.repeat(orgs, sessions_o)
    n = len(who_p) + len(who_o)
    weeks = end_w - rng.uniform(1, 40, n)
    keys = pa.concat_arrays([exports.text.ints(pop.customer_no[who_p]),
                             pc_take(exports.erp_account_keys(accounts), who_o)])
    subjects = pa.concat_arrays([text.take(PANEL_SUBJECTS, rng.integers(0, len(PANEL_SUBJECTS), len(who_p))),
                                 text.take(PLANNING_SUBJECTS, rng.integers(0, len(PLANNING_SUBJECTS), len(who_o)))])
    formats = pa.concat_arrays([text.repeat("event", len(who_p)), text.repeat("face_to_face", len(who_o))])
    hosts = pa.concat_arrays([text.repeat("Community team", len(who_p)),
                              pc_take(text.take(b2b.ACCOUNT_MANAGERS, accounts.manager), who_o)])
    log = pa.table({
        "session_id": text.join("PP-", text.ints(np.arange(1, n + 1), 6)),
        "customer_no": keys,
        "held_at": text.format_local(exports._ts(weeks), "%Y-%m-%dT%H:%M:%SZ"),
        "format": formats,
        "topic": subjects,
        "host": hosts,
    })
    truth = pa.table({
        "entity": pa.concat_arrays([text.repeat("customer", len(persons)), text.repeat("organisation", len(orgs))]),
        "entity_id": pa.array(np.concatenate([persons, orgs]).astype(np.int64)),
        "key": pa.concat_arrays([exports.text.ints(pop.customer_no[persons]),
                                 pc_take(exports.erp_account_keys(accounts), orgs)]),
        "sessions": pa.array(np.concatenate([sessions_p, sessions_o]).astype(np.int64)),
    })
    pq.write_table(truth, out / "truth_partners.parquet")
    return log


def add_panel(out, pop: Population, panel: np.ndarray, answers: int) -> None:
    """Name the listening panel's members in ``truth_partners.parquet`` too: answering the firm's panel is
    working with it, so the ladder counts them as partners (a member already planted here is named once)."""
    path = out / "truth_partners.parquet"
    truth = pq.read_table(path)
    planted = {i for e, i in zip(truth.column("entity").to_pylist(), truth.column("entity_id").to_pylist(),
                                  strict=True) if e == "customer"}
    new = np.array([p for p in panel if int(p) not in planted], np.int64)
    added = pa.table({"entity": text.repeat("customer", len(new)), "entity_id": pa.array(new),
                      "key": exports.text.ints(pop.customer_no[new]),
                      "sessions": pa.array(np.full(len(new), answers, np.int64))})
    pq.write_table(pa.concat_tables([truth, added.cast(truth.schema)]), path)


def pc_take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    import pyarrow.compute as pc

    return pc.take(values, pa.array(idx, pa.int64()))
