"""API answers keep to their schema: timestamps with an offset, every error status documented, 405 says Allow."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from companies import bgnbd_orders
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.ingest import import_file
from patron.store import Store


def test_timestamps_have_offsets_and_errors_are_documented(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        orders = tmp_path / "orders.csv"
        orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(60, 4)))
        import_file(store, orders, "transactions")
        token = issue_token(store, add_user(store, "ada", "a long enough password", "admin"), "t")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(str(path))) as client:
        schema = client.get("/api/v1/openapi.json", headers=headers).json()
        for route, methods in schema["paths"].items():
            if route.endswith("/health"):
                continue
            for method, op in methods.items():
                assert {"400", "401", "403", "404", "409", "422"} <= set(op["responses"]), (method, route)
                assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
        imports = client.get("/api/v1/imports", headers=headers).json()
        stamps = [v for item in imports for k, v in item.items() if k.endswith("_at") and v]
        assert stamps and all(dt.datetime.fromisoformat(v).utcoffset() == dt.timedelta(0) for v in stamps)
        r = client.request("TRACE", "/api/v1/health")
        assert r.status_code == 405 and "GET" in r.headers["allow"]
