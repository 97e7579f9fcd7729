"""The demo company as the ``patron demo`` command runs it: simulated, exported, imported (:mod:`patron.demo`)."""

from __future__ import annotations

from patron.demo import generate_demo, import_demo
from patron.demo.company import EXPORTS, generate_steps

__all__ = ["demo_steps", "generate_demo", "generate_steps", "import_demo", "record_demo_campaign"]


def demo_steps(customers: int) -> int:
    """How many steps a demo of ``customers`` customers reports: the simulation's, then one per export imported."""
    return generate_steps(customers) + len(EXPORTS)


def record_demo_campaign(store, out) -> int | None:
    """After the demo's import: its past campaign and members (customer keys mapped to parties) in the store.

    Returns the campaign's id, or None when the folder holds no campaign truth (a demo of an older version).
    Run twice, it keeps the campaign it wrote first.
    """
    import datetime as dt
    import json
    from pathlib import Path

    import pyarrow.parquet as pq

    out = Path(out)
    path = out / "truth_campaign.parquet"
    if not path.exists():
        return None
    facts = json.loads((out / "truth.json").read_text(encoding="utf-8")).get("campaign")
    if not facts:
        return None
    existing = store.scalar("SELECT min(campaign_id) FROM campaigns WHERE name = ?", [facts["name"]])
    if existing is not None:
        return int(existing)
    members = pq.read_table(path, columns=["customer_no", "arm"]).to_pylist()
    party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'webshop'"))
    when = dt.datetime.fromisoformat(facts["date"]).replace(tzinfo=None)
    with store.transaction():
        campaign_id = store.next_id("campaigns", "campaign_id")
        store.raw.execute(
            "INSERT INTO campaigns (campaign_id, name, channel, purpose, audience, action, control_share, status, "
            "seed, created_at, created_by, launched_at, launched_by, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'done', 0, ?, 'demo', ?, 'demo', ?)",
            [campaign_id, facts["name"], facts["channel"], facts["purpose"],
             # JSON, as every campaign keeps them (the pages read them back with json.loads)
             json.dumps({"description": "customers registered 8 weeks before the date"}),
             json.dumps({"subject": "win-back offer"}), facts["control_share"],
             when, when, when + dt.timedelta(days=facts["window_days"])])
        import pyarrow as pa

        rows = [(party_of[m["customer_no"]], m["arm"]) for m in members if m["customer_no"] in party_of]
        store.insert_rows("campaign_members", pa.table({
            "campaign_id": pa.array([campaign_id] * len(rows), pa.int64()),
            "party_id": pa.array([r[0] for r in rows], pa.int64()),
            "arm": pa.array([r[1] for r in rows], pa.string()),
            "reason": pa.array([None] * len(rows), pa.string()),
            "assigned_at": pa.array([when] * len(rows), pa.timestamp("us")),
            "message_id": pa.array([None] * len(rows), pa.int64()),
        }))
    return campaign_id
