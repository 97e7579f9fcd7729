"""schemathesis with all its checks against a real ``patron serve`` on each store: the API answers as its own
OpenAPI schema says (status codes, bodies, headers, what it accepts and refuses), with no server error.

The schemathesis command line runs a bounded number of cases per operation (``EXAMPLES``) in every phase
(examples, coverage, fuzzing, stateful), signed in with an admin's token; any failure fails the test, with the
command's report. ``schemathesis_hooks.py`` keeps it from revoking its own token or disabling its own account.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from companies import demo_company
from patron.areas.users.service import add_user, issue_token
from serving import start_serve
from store_engines import ENGINES, new_store_url

HERE = Path(__file__).resolve().parent
#: Cases per operation and phase: enough to reach every check, small enough for a couple of minutes a store.
EXAMPLES = 4


@pytest.fixture(params=ENGINES)
def served(request, tmp_path):
    url = new_store_url(request, request.param, tmp_path)
    store = demo_company(tmp_path, 200, 9, store=url)
    try:
        user = add_user(store, "fuzzer", "a long enough password", "admin")
        token = issue_token(store, user, "fuzz")
        token_id = store.scalar("SELECT max(token_id) FROM api_tokens")
    finally:
        store.close()
    proc, base = start_serve(url, args=("--no-triggers", "--no-delivery"), wait_s=60)
    yield base, token, token_id
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_the_api_keeps_to_its_schema(served, tmp_path):
    base, token, token_id = served
    schemathesis = Path(sys.executable).parent / "schemathesis"
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PATRON_FUZZ_USER": "fuzzer",
           "PATRON_FUZZ_TOKEN_ID": str(token_id),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(
        [str(schemathesis), "run", f"{base}/api/v1/openapi.json", "--checks", "all", "--max-examples",
         str(EXAMPLES), "--workers", "1", "--seed", "12", "--generation-database", "none", "--request-timeout", "60",
         "--no-color", "--header", f"Authorization: Bearer {token}", "--report", "ndjson", "--report-dir",
         str(tmp_path / "report")],
        check=False, capture_output=True, text=True, env=env, timeout=900)
    summary = run.stdout[run.stdout.find("=== FAILURES"):] if "=== FAILURES" in run.stdout else run.stdout
    assert run.returncode == 0, f"schemathesis found failures (exit {run.returncode}):\n{summary[-20000:]}\n" \
                                f"{run.stderr[-2000:]}"
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested and int(tested.group(1)) >= 90, run.stdout[-3000:]  # every operation of the schema was tried
    assert "Authentication failed" not in run.stdout  # and the fuzzer stayed signed in throughout
