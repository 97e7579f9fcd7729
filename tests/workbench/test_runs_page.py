"""Starting an analysis from the pages and watching it to the end (TestClient over a DuckDB file)."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from companies import bgnbd_orders
from patron.app import create_app
from patron.areas.users.service import add_user
from patron.ingest import import_file
from patron.store import Store

PASSWORD = "a long enough password"


def _sign_in(client, who):
    client.cookies.clear()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/runs").text).group(1)


def test_start_a_run_from_the_pages(tmp_path):
    path = tmp_path / "patron.duckdb"
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(120, 4)))
    with Store(path) as store:
        import_file(store, orders, "transactions", source="shop")
        add_user(store, "ann", PASSWORD, "analyst")
        add_user(store, "sam", PASSWORD, "service")
    with TestClient(create_app(str(path))) as client:
        csrf = _sign_in(client, "sam")
        assert 'id="start-run"' not in client.get("/runs").text  # service may not start runs
        assert client.post("/runs", data={"csrf": csrf}).status_code == 403
        csrf = _sign_in(client, "ann")
        assert "No run yet." in client.get("/runs").text
        started = client.post("/runs", data={"csrf": csrf}, follow_redirects=False)
        assert started.status_code == 303
        url = started.headers["location"]
        for _ in range(120):
            page = client.get(url).text
            if "Analysis: done" in page or "Analysis: failed" in page:
                break
            assert 'http-equiv="refresh"' in page
            time.sleep(0.5)
        assert "Analysis: done" in page, page[-600:]
        runs = client.get("/runs").text
        assert "current picture" in runs
