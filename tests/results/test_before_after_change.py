"""Before/after a price change with a control series, on generated data with a known effect: customers in FR get
+6.00 a week after the change, DE customers nothing; the difference in differences recovers it within its interval,
through the service, the API, the page and the command."""

from __future__ import annotations

import datetime as dt

import numpy as np
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from patron.app import create_app
from patron.areas.results import service
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register
from patron.store import Store

CHANGE = dt.datetime(2025, 6, 2)
EFFECT = 6.0
PASSWORD = "a long enough password"


def _world(path, people: int = 300, weeks: int = 12, seed: int = 3):
    rng = np.random.default_rng(seed)
    start = CHANGE - dt.timedelta(weeks=weeks)
    with Store(path) as store, store.transaction():
        store.raw.execute("INSERT INTO parties (party_id, name, country, created_at) SELECT i, 'P' || i, CASE WHEN "
                          "i % 2 = 0 THEN 'FR' ELSE 'DE' END, ? FROM range(1, ? + 1) t(i)", [start, people])
        rows, tid = [], 0
        for pid in range(1, people + 1):
            base = rng.uniform(10, 40)
            for w in range(2 * weeks):
                tid += 1
                value = base + rng.normal(0, 8) + 0.3 * w  # a common trend both groups share
                if pid % 2 == 0 and w >= weeks:
                    value += EFFECT
                rows.append((tid, pid, start + dt.timedelta(weeks=w, days=2), round(max(value, 0.5), 2)))
        store.raw.executemany("INSERT INTO transactions (transaction_id, party_id, occurred_at, revenue, kind, source, "
                              "external_id) VALUES (?, ?, ?, ?, 'order', 'test', CAST(? AS VARCHAR))",
                              [(t, p, o, r, t) for t, p, o, r in rows])
        token = None
    with Store(path) as store:
        token = issue_token(store, add_user(store, "ana", PASSWORD, "analyst"), "t")
    return token


def test_a_price_change_is_recovered_within_its_interval_everywhere(tmp_path):
    path = tmp_path / "patron.duckdb"
    token = _world(path)
    with Store(path) as store:
        r = service.before_after_groups(store, None, CHANGE, "country:FR", "country:DE", weeks=12)
        assert r["treated_parties"] == r["control_parties"] == 150
        assert r["low"] <= EFFECT <= r["high"] and r["low"] > 0, r
        assert abs(r["estimate"] - EFFECT) < 1.5
        assert r["naive_change"] > r["estimate"]  # the shared trend, which the control takes out
        assert len(r["week_starts"]) == len(r["treated_series"]) == 24 and "BCa" in r["method"]
        svg = service.before_after_chart(r)
        assert "<svg" in svg and "change 2025-06-02" in svg
        assert ("country:FR", "Country: FR") in service.group_choices(store)
    with TestClient(create_app(str(path))) as client:
        headers = {"Authorization": f"Bearer {token}"}
        got = client.get("/api/v1/results/before-after", headers=headers,
                         params={"date": "2025-06-02", "treated": "country:FR", "control": "country:DE", "weeks": 12})
        assert got.status_code == 200 and got.json()["estimate"] == r["estimate"]
        bad = client.get("/api/v1/results/before-after", headers=headers,
                         params={"date": "2025-06-02", "treated": "colour:red", "control": "country:DE"})
        assert bad.status_code == 400 and "treated: 'colour:red' is not a group" in bad.json()["error"]
        nobody = client.get("/api/v1/results/before-after", headers=headers,
                            params={"date": "2025-06-02", "treated": "country:FR", "control": "country:IT"})
        assert nobody.status_code == 400 and "nobody is in Country: IT" in nobody.json()["error"]
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": csrf})
        page = client.get("/results/before-after", params={"date": "2025-06-02", "treated": "country:FR",
                                                             "control": "country:DE", "weeks": 12})
        assert page.status_code == 200 and "Country: FR against Country: DE" in page.text
        assert f'<span id="did">{r["estimate"]:+,.2f}</span>' in page.text and "<svg" in page.text
        assert client.get("/results/before-after").status_code == 200  # the empty form
    register()
    out = CliRunner().invoke(app, ["results", "before-after", "--date", "2025-06-02", "--treated", "country:FR",
                                   "--control", "country:DE", "--weeks", "12", "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert f"{r['estimate']:+,.2f}" in out.output and "BCa" in out.output
