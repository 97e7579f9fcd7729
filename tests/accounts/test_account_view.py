"""The account view and the network on a small account built by hand, on every store."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.areas.accounts import service
from patron.errors import InvalidInput, PermissionDenied
from patron.service.permissions import User

AS_OF = dt.datetime(2024, 7, 1)
SALES = User(1, "sam", "sales")
ANALYST = User(2, "ann", "analyst")


def party(store, pid, name, kind="person", category="customer", title=None, referred_by=None, city="Bonn"):
    store.raw.execute("INSERT INTO parties (party_id, kind, category, name, job_title, referred_by, city, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)", [pid, kind, category, name, title,
                                                                         referred_by, city])


def contact(store, iid, pid, days_ago, channel="face_to_face", direction="outbound"):
    store.raw.execute("INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, channel, "
                      "direction) VALUES (?, 'crm', ?, ?, ?, ?, ?)",
                      [iid, str(iid), pid, AS_OF - dt.timedelta(days=days_ago), channel, direction])


@pytest.fixture
def account(store):
    with store.transaction():
        party(store, 1, "Rhein Kontor GmbH", kind="organisation")
        party(store, 2, "Anna Berg", title="Managing Director")
        party(store, 3, "Ben Lind", title="Purchasing Manager")
        party(store, 4, "Cem Ota", title="Assistant")
        party(store, 5, "Mia Roth", category="employee")
        # Two years of orders of three products.
        for n in range(24):
            store.raw.execute(
                "INSERT INTO transactions (transaction_id, source, external_id, party_id, occurred_at, kind, "
                "product, revenue, currency) VALUES (?, 'erp', ?, 1, ?, 'invoice', ?, 1000, 'EUR')",
                [n + 1, str(n), AS_OF - dt.timedelta(days=30 * n + 1), f"P{n % 3}"])
        contact(store, 1, 2, 120)  # the champion, quiet for 120 days
        contact(store, 2, 2, 200)
        contact(store, 3, 3, 10, "email", "inbound")
        contact(store, 4, 3, 20, "email", "outbound")
    service.add_link(store, SALES, 2, 1, "buying_role", role="decider")
    service.add_link(store, SALES, 3, 1, "buying_role", role="buyer")
    service.add_link(store, SALES, 3, 1, "works_for", role="Purchasing Manager", department="purchasing")
    service.add_link(store, SALES, 4, 1, "works_for", since=dt.date(2020, 1, 1), until=dt.date(2023, 1, 1))
    service.add_link(store, SALES, 3, 2, "reports_to")
    service.add_link(store, SALES, 5, 1, "account_team", role="owner")
    service.add_assessment(store, SALES, 2, "stakeholder", {"influence": 5, "interest": 4, "attitude": "supporter"},
                           assessed_at=AS_OF - dt.timedelta(days=300))
    service.add_assessment(store, SALES, 3, "stakeholder", {"influence": 3, "interest": 5, "attitude": "neutral"})
    service.add_assessment(store, SALES, 3, "trust", {"credibility": 8, "reliability": 6, "intimacy": 5,
                                                      "self_orientation": 2}, assessed_at=AS_OF)
    service.add_assessment(store, SALES, 1, "investments", {"buyer_investment": 4, "supplier_investment": 2})
    return store


def test_the_account_view(account):
    v = service.account_view(account, ANALYST, 1, as_of=AS_OF)
    people = {p["name"]: p for p in v["people"]}
    assert set(people) == {"Anna Berg", "Ben Lind"}  # Cem left in 2023
    assert people["Ben Lind"]["buying_roles"] == ["buyer"] and people["Anna Berg"]["buying_roles"] == ["decider"]
    assert [n["person"]["name"] for n in v["org_chart"]] == ["Anna Berg"]
    assert [n["person"]["name"] for n in v["org_chart"][0]["reports"]] == ["Ben Lind"]
    assert v["coverage"]["buyer"] == [3] and v["coverage"]["decider"] == []  # the decider is not engaged
    kinds = [a["kind"] for a in v["alerts"]]
    # Anna, the champion, was in touch twice, 80 days apart, and not for 120 days: no rhythm to fall quiet from.
    assert "single_threaded" in kinds and "champion_quiet" not in kinds
    assert v["team"][0]["name"] == "Mia Roth" and v["team"][0]["role"] == "owner"
    assert people["Ben Lind"]["trust"]["trust"] == pytest.approx(19 / 2)
    assert people["Ben Lind"]["trust"]["weakest"] == "intimacy"
    assert people["Anna Berg"]["attitude"] == "supporter" and people["Anna Berg"]["influence"] == 5
    assert v["bensaou"] == "captive_buyer"
    assert v["stage"]["stage"] == "development" and v["stage"]["phase"] == "development"
    assert v["activity_365d"] == {"face_to_face": 2, "email": 2}
    assert v["revenue"] == pytest.approx(24_000)
    assert v["strength"] == pytest.approx(sum(sorted(p["strength"]["score"] for p in v["people"])[-3:]) / 3,
                                          abs=0.01)
    # Observed: 3 of the 4 contacts were ours, none from sales; no complaint resolved, so no reliability.
    assert v["observed_trust"]["self_orientation"] == pytest.approx(round(1 + 9 * (3 / 4 + 0) / 2, 2))
    assert v["observed_trust"]["reliability"] is None
    opened = AS_OF - dt.timedelta(days=100)
    account.raw.execute(
        "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, first_response_at, "
        "resolved_at, severity, status) VALUES (1, 'x', '1', 3, ?, ?, ?, 'medium', 'resolved'), "
        "(2, 'x', '2', 2, ?, ?, ?, 'medium', 'resolved')",
        [opened, opened + dt.timedelta(minutes=30), opened + dt.timedelta(hours=1),
         opened, opened + dt.timedelta(days=20), opened + dt.timedelta(days=60)])
    o = service.account_view(account, ANALYST, 1, as_of=AS_OF)["observed_trust"]
    assert o["reliability"] == pytest.approx(1 + 9 / 2) and "1 of 2 complaints" in o["evidence"][0]
    (row,) = service.accounts(account, ANALYST, as_of=AS_OF)
    assert row["stage"] == "development" and "single_threaded" in row["alerts"]
    # Five contacts over the 80 days until 120 days ago (a usual gap of 20 days): she has gone quiet.
    for n, days in enumerate((130, 140, 150)):
        contact(account, 60 + n, 2, days)
    quiet = [a for a in service.account_view(account, ANALYST, 1, as_of=AS_OF)["alerts"]
             if a["kind"] == "champion_quiet"]
    assert [a["party_id"] for a in quiet] == [2] and "Anna Berg" in quiet[0]["text"]
    assert "120 days, 6.0 times their usual 20 days" in quiet[0]["text"]


def test_wrong_input_is_refused_with_reasons(account):
    with pytest.raises(InvalidInput, match="buying-centre role 'boss' is not one of: initiator"):
        service.add_link(account, SALES, 2, 1, "buying_role", role="boss")
    with pytest.raises(InvalidInput, match="cannot be linked to itself"):
        service.add_link(account, SALES, 2, 2, "referred")
    with pytest.raises(InvalidInput, match="self orientation must be from 1 to 10"):
        service.add_assessment(account, SALES, 2, "trust", {"self_orientation": 11})
    with pytest.raises(InvalidInput, match="has no item charm"):
        service.add_assessment(account, SALES, 2, "trust", {"charm": 3})
    with pytest.raises(PermissionDenied, match="not change customer records"):
        service.add_link(account, ANALYST, 2, 1, "works_for")
    assert account.count("party_links") == 6  # nothing half-written


def test_the_network_and_referral_value(account):
    with account.transaction():
        party(account, 10, "Referrer", city="Köln")
        party(account, 11, "First", referred_by=10, city="Köln")
        party(account, 12, "Second", referred_by=11, city="Köln")
        account.raw.execute("INSERT INTO transactions (transaction_id, source, external_id, party_id, occurred_at, "
                            "kind, revenue, currency) VALUES (100, 'shop', 'a', 11, ?, 'order', 50, 'EUR'), "
                            "(101, 'shop', 'b', 12, ?, 'order', 20, 'EUR')", [AS_OF, AS_OF])
    n = service.network_summary(account, ANALYST)
    top = n["referrers"][0]
    assert (top["party_id"], top["reach"], top["direct_value"], top["indirect_value"]) == (10, 2, 50.0, 20.0)
    assert n["bridges"][0]["party_id"] in (1, 2, 11)
    assert n["assortativity"]["city"] is not None
    svg = service.ego_network_svg(account, ANALYST, 1)
    assert svg.startswith("<svg") and "Anna Berg" in svg and "Mia Roth" in svg


def test_as_of_with_a_time_zone_is_read_as_utc_and_an_implausible_one_is_refused(account):
    aware = dt.datetime(2024, 7, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert service.account_view(account, ANALYST, 1, as_of=aware)["as_of"] == AS_OF
    with pytest.raises(InvalidInput, match="not a plausible date"):
        service.account_view(account, ANALYST, 1, as_of=dt.datetime(1, 1, 1))


def test_the_ego_network_reads_only_the_partys_own_ties(account):
    """Who referred a party, whom they referred, and their links either way; past the limit, counted."""
    party(account, 20, "Referrer")
    party(account, 21, "Middle", referred_by=20)
    for k in range(service.EGO_LIMIT + 5):
        party(account, 100 + k, f"Friend {k}", referred_by=21)
    ego = service.ego_network(account, ANALYST, 21)
    assert (ego["neighbours"], ego["not_drawn"]) == (service.EGO_LIMIT + 6, 6)
    assert "Referrer" in ego["svg"] and "Friend 0" in ego["svg"] and f"Friend {service.EGO_LIMIT + 4}" not in ego["svg"]
    alone = service.ego_network(account, ANALYST, 20)
    assert alone["neighbours"] == 1 and "Middle" in alone["svg"]


def test_strength_history_reads_each_month_as_it_was(account):
    history = service.strength_history(account, ANALYST, 1, months=12, as_of=AS_OF)
    assert len(history) == 12 and history[-1]["at"] == AS_OF
    assert history[-1]["strength"] == service.account_view(account, ANALYST, 1, as_of=AS_OF)["strength"]
    # Before the first contact (200 days ago) nobody had been in touch: no strength from contacts
    early = [h for h in history if (AS_OF - h["at"]).days > 200]
    assert early and all(h["engaged"] == 0 for h in early)
    assert early[0]["strength"] < history[-1]["strength"]
    svg = service.strength_sparkline_svg(history)
    assert svg.startswith("<svg") and "Relationship strength from" in svg and svg.count("<circle") == 12
    with pytest.raises(InvalidInput, match="1 to 60 months"):
        service.strength_history(account, ANALYST, 1, months=0)


def test_strength_history_in_one_pass_equals_the_account_view_of_each_month(account):
    """The history reads the account once; each month still equals the account view made on that day."""
    history = service.strength_history(account, ANALYST, 1, months=12, as_of=AS_OF)
    for h in history:
        v = service.account_view(account, ANALYST, 1, as_of=h["at"])
        assert (h["strength"], h["engaged"]) == (v["strength"], v["engaged"]), h
    assert len({h["strength"] for h in history}) > 2  # the months differ


def test_rollup_through_subsidiaries_and_sites_and_circles_refused(account):
    """Account 1 is the parent of 30, which is the location of site 31: the account's view rolls up their
    revenue, activity and health; a link that would close a circle is refused, and one imported anyway is
    not followed twice."""
    from patron.areas.accounts.schemas import AccountView

    with account.transaction():
        party(account, 30, "Rhein Kontor Süd GmbH", kind="organisation")
        party(account, 31, "Kontor Süd, Werk 2", kind="organisation")
        party(account, 32, "Sara Kim", title="Office Manager")
        for n, (pid, revenue) in enumerate([(30, 500.0), (30, 250.0), (31, 100.0), (32, 40.0)]):
            account.raw.execute(
                "INSERT INTO transactions (transaction_id, source, external_id, party_id, occurred_at, kind, "
                "product, revenue, currency) VALUES (?, 'erp', ?, ?, ?, 'invoice', 'P9', ?, 'EUR')",
                [100 + n, f"r{n}", pid, AS_OF - dt.timedelta(days=5 + n), revenue])
        contact(account, 50, 32, 3)
        contact(account, 51, 32, 30, "phone", "inbound")
        contact(account, 52, 31, 400)  # older than a year: not counted
    service.add_link(account, SALES, 1, 30, "parent_of")
    service.add_link(account, SALES, 30, 31, "location_of")
    service.add_link(account, SALES, 32, 31, "works_for", role="Office Manager")
    own = service.account_view(account, ANALYST, 1, as_of=AS_OF)
    r = own["rollup"]
    assert [(c["party_id"], c["link_type"], c["depth"], c["parent"]) for c in r["children"]] == \
        [(30, "parent_of", 1, 1), (31, "location_of", 2, 30)]
    site = r["children"][1]
    assert (site["revenue"], site["activity_365d"], site["engaged"], site["people"]) == (140.0, 2, 1, 1)
    assert r["children"][0]["revenue"] == 750.0
    assert r["revenue"] == own["revenue"] + 890.0
    assert r["activity_365d"] == sum(own["activity_365d"].values()) + 2
    assert r["engaged"] == own["engaged"] + 1 and r["weakest"]["party_id"] == 30
    assert AccountView(**own).rollup == r  # the API's shape carries it
    with pytest.raises(InvalidInput, match="circle"):
        service.add_link(account, SALES, 31, 1, "parent_of")
    with pytest.raises(InvalidInput, match="circle"):
        service.add_link(account, SALES, 31, 30, "location_of")
    # A circle that came in by an import is walked once.
    account.raw.execute("INSERT INTO party_links (link_id, source, external_id, party_id, other_party_id, "
                        "link_type) VALUES (999, 'erp', 'x', 31, 1, 'parent_of')")
    again = service.rollup(account, ANALYST, 1, as_of=AS_OF)
    assert [c["party_id"] for c in again["children"]] == [30, 31] and again["revenue"] == r["revenue"]
    assert [c["party_id"] for c in service.rollup(account, ANALYST, 31, as_of=AS_OF)["children"]] == [1, 30]


def test_an_account_without_people_has_no_contacts_recorded_not_a_single_thread(account):
    """A supplier kept as an account only (the demo's are) has nobody to be single-threaded through."""
    with account.transaction():
        party(account, 20, "Hanseatic Import GmbH", kind="organisation", category="supplier")
        party(account, 21, "The Firm", kind="organisation", category="internal_unit")
    service.add_link(account, SALES, 20, 21, "supplier_of")
    kinds = [a["kind"] for a in service.account_view(account, ANALYST, 20, as_of=AS_OF)["alerts"]]
    assert kinds == ["no_contacts"]
    row = next(r for r in service.accounts(account, ANALYST, as_of=AS_OF) if r["party_id"] == 20)
    assert row["alerts"] == ["no_contacts"]
    # An account with people, one engaged, still is single-threaded.
    assert "single_threaded" in [a["kind"] for a in service.account_view(account, ANALYST, 1, as_of=AS_OF)["alerts"]]


def test_the_firm_and_optionally_its_staff_are_left_out_of_the_bridges(account):
    """The firm linked to every supplier tops betweenness by construction; the rankings leave it out."""
    from patron.analytics import network

    with account.transaction():
        party(account, 30, "The Firm", kind="organisation", category="internal_unit")
        for k in range(4):
            party(account, 31 + k, f"Supplier {k}", kind="organisation", category="supplier")
            party(account, 41 + k, f"Rep {k}")
    for k in range(4):
        service.add_link(account, SALES, 31 + k, 30, "supplier_of")
        service.add_link(account, SALES, 41 + k, 31 + k, "works_for")
        service.add_link(account, SALES, 5, 31 + k, "account_team", role="member")  # Mia looks after them all
    g, _ = service._graph(account)
    raw = network.centrality(g)
    assert max(raw, key=lambda n: raw[n]["betweenness"]) in (5, 30)  # without the rule the firm or Mia tops it
    n = service.network_summary(account, ANALYST, top=50)
    ranked = [b["party_id"] for b in n["bridges"]]
    assert 30 not in ranked and n["left_out"] == [30] and not any(30 in c["members"] for c in n["communities"])
    assert ranked[0] == 5  # the account manager now bridges the suppliers
    staffless = service.network_summary(account, ANALYST, top=50, without_staff=True)
    assert {5, 30}.isdisjoint(b["party_id"] for b in staffless["bridges"]) and staffless["left_out"] == [5, 30]
    assert staffless["bridges"] and staffless["nodes"] == n["nodes"]  # still counted in the network's size
