"""The demo company as the ``patron demo`` command runs it: simulated, exported, imported (:mod:`patron.demo`)."""

from __future__ import annotations

from patron.demo import generate_demo, import_demo
from patron.demo.company import EXPORTS, generate_steps

__all__ = ["demo_steps", "generate_demo", "generate_steps", "import_demo", "record_demo_campaign",
           "record_demo_reviews"]

#: The source of the account reviews the demo's sales CRM holds (``assessments.source``).
REVIEWS_SOURCE = "crm-reviews"


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


def record_demo_reviews(store, out) -> int:
    """After the demo's import: the sales CRM's account reviews (stakeholder maps, trust, Wilson's constructs,
    specific investments) as assessments of the parties the CRM keys became. Returns the rows recorded.

    Run twice, it records nothing the second time; a folder without reviews (an older demo) records none.
    """
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from patron.demo.account_reviews import FILE

    path = Path(out) / FILE
    if not path.exists() or store.scalar("SELECT count(*) FROM assessments WHERE source = ?", [REVIEWS_SOURCE]):
        return 0
    reviews = pq.read_table(path).to_pylist()
    party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'crm'"))
    rows = [r for r in reviews if r["crm_key"] in party_of]
    with store.transaction():
        first = store.next_id("assessments", "assessment_id")
        ids = list(range(first, first + len(rows)))
        store.insert_rows("assessments", pa.table({
            "assessment_id": pa.array(ids, pa.int64()),
            "source": pa.array([REVIEWS_SOURCE] * len(rows), pa.string()),
            "external_id": pa.array([f"review-{i}" for i in range(1, len(rows) + 1)], pa.string()),
            "party_id": pa.array([party_of[r["crm_key"]] for r in rows], pa.int64()),
            "form": pa.array([r["form"] for r in rows], pa.string()),
            "item": pa.array([r["item"] for r in rows], pa.string()),
            "score": pa.array([r["score"] for r in rows], pa.float64()),
            "answer": pa.array([r["answer"] for r in rows], pa.string()),
            "assessed_at": pa.array([r["assessed_at"] for r in rows], pa.timestamp("us")),
            "assessed_by": pa.array([r["assessed_by"] for r in rows], pa.string()),
            "asked_of": pa.array(["account_manager"] * len(rows), pa.string()),
            "note": pa.array([None] * len(rows), pa.string()),
        }))
    return len(rows)
