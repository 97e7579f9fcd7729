"""Ladder of loyalty on a hand-made store: one party per rung, then who moved."""

from __future__ import annotations

from patron.analytics.ladder import LadderRules, ladder_migration, ladder_rung, rung_matrix


def _rungs(store, as_of, **rules):
    df = ladder_rung(store, as_of, rules=LadderRules(**rules)).to_pandas()
    return dict(zip(df.party_id, df.rung))


def _build(facts):
    f = facts
    f.party(1)  # suspect: nothing on record
    f.party(2)  # prospect: an email, never bought
    f.interaction(2, "2024-02-01")
    f.party(3, category="prospect")  # prospect by category
    f.party(4)  # customer: one purchase day (two rows that day)
    f.tx(4, "2024-03-01 10:00", 10)
    f.tx(4, "2024-03-01 15:00", 10)
    f.party(5)  # client: two purchase days; promoter answer AFTER the first as_of
    f.tx(5, "2024-01-10", 10)
    f.tx(5, "2024-02-10", 10)
    f.feedback(5, "2024-05-01", "nps", 10)
    f.party(6)  # supporter: client with a CSAT of 4/5 (latest), earlier NPS 3
    f.tx(6, "2024-01-10", 10)
    f.tx(6, "2024-02-11", 10)
    f.feedback(6, "2024-01-20", "nps", 3)
    f.feedback(6, "2024-02-20", "csat", 4, scale_max=5)
    f.party(7)  # advocate: a customer who referred party 8
    f.tx(7, "2024-01-05", 50)
    f.party(8, referred_by=7, acquired_at="2024-02-15", created_at="2024-02-15")
    f.party(9, kind="organisation")  # partner: invoices in each of Oct 2023 .. Mar 2024
    for month in ("2023-10-15", "2023-11-15", "2023-12-15", "2024-01-15", "2024-02-15", "2024-03-15"):
        f.tx(9, month, 1000, kind="invoice")
    f.party(10, kind="organisation")  # only 5 months in a row: a client
    for month in ("2023-10-15", "2023-12-15", "2024-01-15", "2024-02-15", "2024-03-15"):
        f.tx(10, month, 1000, kind="invoice")
    f.party(11, category="supplier")  # not on the customer ladder
    f.tx(11, "2024-01-01", 5)
    f.party(12, created_at="2024-06-01")  # does not exist yet at the first date
    f.party(13)  # a refund is not a purchase: still a prospect (contact via complaint)
    f.tx(13, "2024-01-02", -20, kind="refund")
    f.complaint(13, "2024-01-03")


def test_one_party_per_rung(store, facts, engine):
    _build(facts)
    tables = engine(store)
    rungs = _rungs(tables, "2024-04-10")
    assert rungs == {
        1: "suspect", 2: "prospect", 3: "prospect", 4: "customer", 5: "client", 6: "supporter",
        7: "advocate", 8: "suspect", 9: "partner", 10: "client", 13: "prospect",
    }
    df = ladder_rung(tables, "2024-04-10").to_pandas().set_index("party_id")
    assert df.loc[9, "partner_months"] == 6 and df.loc[10, "partner_months"] == 5
    assert df.loc[6, "rung_level"] == 5 and df.loc[1, "rung_level"] == 1
    assert df.loc[7, "referrals"] == 1 and df.loc[4, "purchase_days"] == 1


def test_rules_are_configurable_and_dates_cut(store, facts, engine):
    _build(facts)
    store = engine(store)
    # Before party 8 was acquired, party 7 had referred nobody; before Feb 10 party 5 bought once.
    early = _rungs(store, "2024-02-01")
    assert early[7] == "customer" and early[5] == "customer" and 12 not in early
    # The month of as_of is open; in May, March counts but April is missing, so 9 is no partner.
    assert _rungs(store, "2024-05-02")[9] == "client"
    assert _rungs(store, "2024-04-10", partner_months=3)[10] == "partner"
    assert _rungs(store, "2024-04-10", advocate_requires_promoter=True)[7] == "customer"
    assert _rungs(store, "2024-04-10", positive_csat_share=0.9)[6] == "client"
    assert _rungs(store, "2024-04-10", categories=("customer", "supplier"))[11] == "customer"


def test_migration_matrix(store, facts, engine):
    _build(facts)
    mig = ladder_migration(engine(store), "2024-02-01", "2024-06-10").to_pandas()
    cells = {(r.from_rung, r.to_rung): r.parties for r in mig.itertuples()}
    # Feb 1 -> Jun 10: 5 and 6 bought again and answered positively; 7 referred 8;
    # 4 made its first purchase; 9 lost no status it had (it was not yet a partner
    # in February) and has no April/May invoice in June; 8 and 12 appeared.
    assert cells == {
        ("suspect", "suspect"): 1,  # 1
        ("suspect", "customer"): 1,  # 4
        ("prospect", "prospect"): 3,  # 2, 3, 13
        ("customer", "supporter"): 2,  # 5, 6
        ("customer", "advocate"): 1,  # 7
        ("client", "client"): 2,  # 9, 10
        ("new", "suspect"): 2,  # 8, 12
    }
    assert list(mig.from_level) == sorted(mig.from_level)
    matrix = rung_matrix(mig)
    assert matrix.loc["customer", "supporter"] == 2 and matrix.values.sum() == 12
    assert list(matrix.columns) == ["suspect", "prospect", "customer", "client", "supporter", "advocate",
                                    "partner"]
