"""Ladder of loyalty on a hand-made store: one party per rung, each rule's edge, falls, the rules file."""

from __future__ import annotations

import ibis
import pytest

from patron.analytics.ladder import LadderRules, ladder_migration, ladder_rules_from, ladder_rung, rung_matrix
from patron.errors import InvalidInput

AS_OF = "2024-06-30"


def _rungs(store, as_of=AS_OF, **rules):
    df = ladder_rung(store, as_of, rules=LadderRules(**rules)).to_pandas()
    return {p: r if isinstance(r, str) else None for p, r in zip(df.party_id, df.rung)}


def _build(facts):
    f = facts
    f.party(1)  # suspect: only an outbound email from the firm
    f.interaction(1, "2024-02-01")
    f.party(2)  # prospect: an inbound enquiry, never bought
    f.interaction(2, "2024-02-01", direction="inbound")
    f.party(3, category="prospect")  # prospect by category
    f.party(4)  # customer: one purchase day (two rows that day)
    f.tx(4, "2024-03-01 10:00", 10)
    f.tx(4, "2024-03-01 15:00", 10)
    f.party(5)  # client: two purchase days, a detractor answer
    f.tx(5, "2024-01-10", 10)
    f.tx(5, "2024-02-10", 10)
    f.feedback(5, "2024-02-20", "nps", 4)
    f.party(6)  # supporter: client with a CSAT of 4/5 (latest), earlier NPS 3
    f.tx(6, "2024-01-10", 10)
    f.tx(6, "2024-02-11", 10)
    f.feedback(6, "2024-01-20", "nps", 3)
    f.feedback(6, "2024-02-20", "csat", 4, scale_max=5)
    f.party(7)  # advocate: a supporter of long standing who referred party 8, who bought
    for day in ("2023-06-01", "2023-09-01", "2024-01-05", "2024-05-05"):
        f.tx(7, day, 50)
    f.feedback(7, "2024-05-06", "nps", 10)
    f.party(8, referred_by=7, acquired_at="2024-02-15", created_at="2024-02-15")
    f.tx(8, "2024-02-15", 20)
    f.party(9, kind="organisation")  # partner: buys, and planned the year jointly with the firm
    for month in ("2024-03-15", "2024-04-15", "2024-05-15"):
        f.tx(9, month, 1000, kind="invoice")
    f.party(20, organisation_id=9)  # a buyer at 9: its meeting counts for 9, it is not on the ladder
    f.interaction(20, "2024-04-02", channel="face_to_face", subject="Joint planning 2025")
    f.party(10)  # a person can be a partner too: a co-creation panel member
    f.tx(10, "2024-02-01", 30)
    f.tx(10, "2024-04-01", 30)
    f.feedback(10, "2024-04-10", "panel", None)
    f.party(11, category="supplier")  # not on the customer ladder
    f.tx(11, "2024-01-01", 5)
    f.party(12, created_at="2024-07-15")  # does not exist yet at as_of
    f.party(13)  # a refund is not a purchase: still a prospect (interest via a complaint)
    f.tx(13, "2024-01-02", -20, kind="refund")
    f.complaint(13, "2024-01-03")
    f.party(14)  # lapsed: a repeat buyer and promoter who has not bought for more than a year
    f.tx(14, "2023-01-05", 40)
    f.tx(14, "2023-03-05", 40)
    f.feedback(14, "2023-03-10", "nps", 10)
    f.party(15)  # one purchase and one referral, quickly: no instant advocate (stays a customer)
    f.tx(15, "2024-06-01", 40)
    f.party(16, referred_by=15, created_at="2024-06-10")
    f.tx(16, "2024-06-10", 10)
    f.party(17)  # supporter through loyalty membership
    f.tx(17, "2024-03-01", 10)
    f.tx(17, "2024-04-01", 10)
    f.consent(17, "2024-03-01", "loyalty")


def test_one_party_per_rung_with_its_reason(store, facts, engine):
    _build(facts)
    tables = engine(store)
    rungs = _rungs(tables)
    assert rungs == {
        1: "suspect", 2: "prospect", 3: "prospect", 4: "customer", 5: "client", 6: "supporter",
        7: "advocate", 8: "customer", 9: "partner", 10: "partner", 13: "prospect", 14: "lapsed",
        15: "customer", 16: "customer", 17: "supporter", 20: None,
    }
    df = ladder_rung(tables, AS_OF).to_pandas().set_index("party_id")
    assert df.loc[9, "collaborations"] == 1 and df.loc[10, "collaborations"] == 1
    assert df.loc[6, "rung_level"] == 5 and df.loc[1, "rung_level"] == 1 and df.loc[14, "rung_level"] == 0
    assert df.loc[7, "referrals"] == 1 and df.loc[4, "purchase_days"] == 1 and df.loc[15, "referrals"] == 1
    assert df.loc[7, "rung_reason"].startswith("advocate because: 1 referral(s) who bought")
    assert df.loc[14, "rung_reason"] == "lapsed because: no purchase or collaboration for 483 days (more than 365)"
    assert df.loc[9, "rung_reason"].startswith("partner because: 1 collaboration(s)")
    assert df.loc[17, "rung_reason"].endswith("a loyalty member")
    assert df.loc[20, "rung_reason"].startswith("not on the ladder: a person at organisation 9")
    assert all(r.startswith(df.loc[p, "rung"] + " because") for p, r in df.rung_reason.drop(20).items())


def test_each_rule_is_configurable(store, facts, engine):
    _build(facts)
    tables = engine(store)
    assert _rungs(tables, lapse_after_days=600)[14] == "supporter"
    assert _rungs(tables, advocate_min_purchase_days=5)[7] == "supporter"
    assert _rungs(tables, advocate_min_tenure_days=0, advocate_min_purchase_days=1,
                  client_min_purchase_days=1)[15] == "client"  # a referral, but no positive feedback: no supporter
    assert _rungs(tables, partner_subjects=("co-creation",))[9] == "client"
    assert _rungs(tables, partner_instruments=())[10] == "client"
    assert _rungs(tables, stakeholders_to_organisation=False)[9] == "client"
    assert _rungs(tables, positive_csat_share=0.9)[6] == "client"
    assert _rungs(tables, loyalty_purposes=())[17] == "client"
    assert _rungs(tables, interest_channels=(), )[1] == "suspect"
    assert _rungs(tables, categories=("customer", "supplier"))[11] == "customer"
    assert _rungs(tables)[20] is None and _rungs(tables, stakeholders_to_organisation=False)[20] == "prospect"


def test_low_probability_alive_lapses(store, facts):
    _build(facts)
    p_alive = store.ibis.create_table("p_alive_test", ibis.memtable({"party_id": [6, 7], "p_alive": [0.05, 0.5]}))
    df = ladder_rung(store, AS_OF, p_alive=p_alive).to_pandas().set_index("party_id")
    assert df.loc[6, "rung"] == "lapsed" and df.loc[7, "rung"] == "advocate"
    assert df.loc[6, "rung_reason"] == "lapsed because: probability alive 5% is below 10%"


def test_migration_shows_climbs_and_falls(store, facts, engine):
    _build(facts)
    mig = ladder_migration(engine(store), "2023-04-01", AS_OF).to_pandas()
    cells = {(r.from_rung, r.to_rung): r.parties for r in mig.itertuples()}
    assert cells[("supporter", "lapsed")] == 1  # 14 fell
    assert cells[("suspect", "advocate")] == 1  # 7 climbed
    falls = mig[(mig.from_rung != "new") & (mig.to_level < mig.from_level)].parties.sum()
    assert falls == 1
    matrix = rung_matrix(mig)
    assert matrix.loc["supporter", "lapsed"] == 1 and list(matrix.columns)[0] == "lapsed"


def test_rules_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[ladder]\nlapse_after_days = 200\npartner_subjects = ["co-design"]\n')
    rules = ladder_rules_from(path)
    assert rules.lapse_after_days == 200 and rules.partner_subjects == ("co-design",)
    assert rules.advocate_min_tenure_days == LadderRules().advocate_min_tenure_days
    path.write_text("[ladder]\nlapse_after_dayz = 200\n")
    with pytest.raises(InvalidInput, match="Unknown ladder rule 'lapse_after_dayz'"):
        ladder_rules_from(path)
    path.write_text("[ladder]\nlapse_after_days = -1\n")
    with pytest.raises(InvalidInput, match="at least 0"):
        ladder_rules_from(path)
