"""One definition of revenue, net of refunds, on every surface (issue 11, item 10).

Revenue is computed here straight from the raw ``transactions`` table (purchases less the value of refunds, a
refund being ``kind = 'refund'`` or a negative amount) and every surface that shows it must agree: the
overview page's 12-month figure, ``patron analyze``'s summary, the API's overview, a customer's page and API
record, the scores (the at-risk list and the customer lists), and the order count beside it. The store's refunds
are real demo refunds, so a surface counting purchases only would differ from the raw figure.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from companies import demo_company
from patron.app import create_app
from patron.areas.overview.service import overview_numbers
from patron.areas.parties.service import party_360
from patron.areas.users.service import add_user, get_user, issue_token
from patron.service.analyze import valuable_at_risk
from patron.service.overview import relationship_overview
from patron.service.runs import current_run

PASSWORD = "a long enough password"
NET = "CASE WHEN kind = 'refund' OR revenue < 0 THEN -abs(revenue) ELSE revenue END"


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    root = tmp_path_factory.mktemp("revenue")
    store = demo_company(root, 300, 4)
    token = issue_token(store, add_user(store, "ada", PASSWORD, "admin", "Ada Admin"), "tests")
    yield store, root / "patron.duckdb", token
    store.close()


def sign_in(client) -> None:
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf": csrf}).status_code == 200


def raw_12m(store, as_of: dt.datetime) -> float:
    """Net revenue of the whole days from 365 days before the newest transaction to its day's end."""
    start = dt.datetime.combine((as_of - dt.timedelta(days=365)).date(), dt.time())
    end = dt.datetime.combine(as_of.date(), dt.time()) + dt.timedelta(days=1)
    return float(store.scalar(f"SELECT sum({NET}) FROM transactions WHERE occurred_at >= ? AND occurred_at < ?",
                              [start, end]))


def test_the_demo_has_refunds_so_the_definitions_would_differ(company):
    store, _, _ = company
    refunds = store.scalar("SELECT count(*) FROM transactions WHERE kind = 'refund' OR revenue < 0")
    assert refunds > 10


def test_the_twelve_month_revenue_is_net_of_refunds_on_the_overview_in_analyze_and_the_api(company):
    store, path, token = company
    as_of = store.scalar("SELECT max(occurred_at) FROM transactions")
    expected = raw_12m(store, as_of)
    purchases_only = float(store.scalar(
        "SELECT sum(revenue) FROM transactions WHERE NOT (kind = 'refund' OR revenue < 0) "
        "AND occurred_at >= ? AND occurred_at <= ?", [as_of - dt.timedelta(days=366), as_of]))
    assert abs(purchases_only - expected) > 100  # the two readings the issue found really differ here
    numbers = overview_numbers(store)
    assert numbers["revenue_12m"] == pytest.approx(expected)
    assert numbers["currency"] == "EUR" and numbers["as_of"] == as_of
    run = current_run(store)
    mix = relationship_overview(store, run).revenue_mix
    assert mix["revenue"] == pytest.approx(expected)
    assert mix["purchase_revenue"] - mix["refunds"] == pytest.approx(expected)
    with TestClient(create_app(str(path))) as client:
        body = client.get("/api/v1/overview", headers={"Authorization": f"Bearer {token}"}).json()
        assert body["revenue_12m"] == pytest.approx(expected) and body["currency"] == "EUR"
        assert body["as_of"].startswith(as_of.date().isoformat())
        # The page writes the same figure, with its currency and date beside it.
        sign_in(client)
        page = client.get("/").text
        card = re.search(r'id="revenue-12m".*?class="value">([^<]+)<', page, re.DOTALL).group(1)
        assert card == f"€{expected:,.0f}"
        assert f"as of {as_of:%Y-%m-%d}" in page and "net of refunds" in page


def test_a_customer_shows_the_same_net_revenue_and_orders_everywhere(company):
    store, path, token = company
    run = current_run(store)
    # The customer with the most refunded value: purchases-only and net differ most for them.
    party = store.scalar(f"SELECT party_id FROM transactions GROUP BY party_id "
                         f"ORDER BY sum(CASE WHEN {NET} < 0 THEN -{NET} ELSE 0 END) DESC LIMIT 1")
    expected = float(store.scalar(f"SELECT sum({NET}) FROM transactions WHERE party_id = ?", [party]))
    orders = store.scalar("SELECT count(DISTINCT coalesce(document, transaction_id::VARCHAR)) FROM transactions "
                          "WHERE party_id = ? AND NOT (kind = 'refund' OR revenue < 0)", [party])
    scored = store.query("SELECT revenue, orders FROM scores WHERE run_id = ? AND party_id = ?", [run, party])[0]
    assert scored[0] == pytest.approx(expected) and scored[1] == orders
    view = party_360(store, get_user(store, "ada"), party)
    assert float(view["totals"]["revenue"]) == pytest.approx(expected)
    assert view["totals"]["documents"] == orders and view["totals"]["currency"] == "EUR"
    # Every scored customer: the scores' revenue is the raw net revenue up to the run's as-of date.
    as_of = store.scalar("SELECT as_of FROM runs WHERE run_id = ?", [run])
    off = store.scalar(
        f"SELECT count(*) FROM scores s JOIN (SELECT party_id, sum({NET}) AS net FROM transactions "
        f"WHERE occurred_at <= ? GROUP BY party_id) t USING (party_id) WHERE s.run_id = ? "
        f"AND abs(s.revenue - t.net) > 0.005", [as_of, run])
    assert off == 0
    for r in valuable_at_risk(store, run, 20):  # the overview's at-risk list reads the scores
        assert r["revenue"] == pytest.approx(float(store.scalar(
            f"SELECT sum({NET}) FROM transactions WHERE party_id = ?", [r["party_id"]])))
    with TestClient(create_app(str(path))) as client:
        body = client.get(f"/api/v1/parties/{party}", headers={"Authorization": f"Bearer {token}"}).json()
        assert body["totals"]["revenue"] == pytest.approx(expected) and body["totals"]["documents"] == orders
        sign_in(client)
        page = client.get(f"/customers/{party}").text
        card = re.search(r'id="revenue-to-date".*?class="value">([^<]+)<.*?class="muted">([^<]+)<', page, re.DOTALL)
        assert card.group(1) == f"€{expected:,.2f}"
        assert card.group(2).startswith(f"{orders} order")
