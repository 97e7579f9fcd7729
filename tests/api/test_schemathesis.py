"""Property-based tests of the API from its own OpenAPI schema: no request may cause a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from companies import demo_company
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.service.jobs import Jobs


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    store = demo_company(root, 200, 9)
    token = issue_token(store, add_user(store, "root", "a long enough password", "admin"), "fuzz")
    app = create_app(str(root / "patron.duckdb"))
    app.state.store, app.state.jobs = store, Jobs()  # what the lifespan does when served
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers={"Authorization": f"Bearer {token}"}), \
        token
    store.close()


# schemathesis' own pytest plugin does not run on pytest 9 yet; its schema and strategies do.
def test_no_request_causes_a_server_error(api):
    schema, token = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            if response.status_code >= 400:
                assert "error" in response.json()  # every error is JSON with a message

        check()
