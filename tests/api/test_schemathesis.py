"""schemathesis with all its checks against a real ``patron serve`` on each store: the API answers as its own
OpenAPI schema says (status codes, bodies, headers, what it accepts and refuses), with no server error.

The schemathesis command line runs a bounded number of cases per operation (``EXAMPLES``) in every phase
(examples, coverage, fuzzing, stateful), signed in with an admin's token. Every failure of every check fails the
test, but one kind, judged case by case from the run's report: a schema-valid request refused with a 400 that
says why (:func:`a_rule_the_schema_cannot_state` says precisely which and why). ``schemathesis_hooks.py``
keeps the fuzzer from revoking its own token or disabling its own account.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from companies import demo_company
from patron.areas.users.service import add_user, issue_token
from serving import start_serve
from store_engines import ENGINES, new_store_url

HERE = Path(__file__).resolve().parent
#: Cases per operation and phase: enough to reach every check, small enough for a couple of minutes a store.
EXAMPLES = 3


def serve_for_fuzzing(request, engine: str, folder: Path):
    """A demo store on ``engine`` with the fuzzer's admin and token, under ``patron serve``, its schema built."""
    url = new_store_url(request, engine, folder)
    store = demo_company(folder, 200, 9, store=url)
    try:
        user = add_user(store, "fuzzer", "a long enough password", "admin")
        token = issue_token(store, user, "fuzz")
        token_id = store.scalar("SELECT max(token_id) FROM api_tokens")
    finally:
        store.close()
    proc, base = start_serve(url, args=("--no-triggers", "--no-delivery"), wait_s=60)
    # The schema is built on its first request: seconds on a busy machine, past schemathesis' own 10 s.
    assert httpx.get(f"{base}/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"},
                     timeout=120).status_code == 200
    return proc, base, token, token_id


def start_fuzzing(base: str, token: str, token_id: int, report: Path) -> subprocess.Popen:
    """The schemathesis run against ``base``, started (its output: ``report``/out.txt and err.txt)."""
    schemathesis = Path(sys.executable).parent / "schemathesis"
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PATRON_FUZZ_USER": "fuzzer",
           "PATRON_FUZZ_TOKEN_ID": str(token_id),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    report.mkdir(parents=True)
    with (report / "out.txt").open("w") as out, (report / "err.txt").open("w") as err:
        return subprocess.Popen(
            # --max-response-time: the check's own limit is 10 s; a verbatim report trains its classifier on the
            # request and took 25 s on the shared 2-core machine at a load of 30. A minute still catches a hang.
            [str(schemathesis), "run", f"{base}/api/v1/openapi.json", "--checks", "all", "--max-examples",
             str(EXAMPLES), "--workers", "1", "--seed", "12", "--generation-database", "none", "--request-timeout", "60",
             "--max-response-time", "60", "--no-color", "--header", f"Authorization: Bearer {token}", "--report",
             "ndjson", "--report-dir", str(report / "ndjson")],
            stdout=out, stderr=err, text=True, env=env)


@pytest.fixture(scope="module")
def fuzzed(request, tmp_path_factory):
    """Both stores' runs, started together: one run keeps about one of the machine's two cores busy (the
    fuzzer and the server take turns), so the two side by side take about the time of the longer one.
    Returns a function of the engine that waits for its run: (its return code, stdout, stderr, report folder).
    Only the engines of the tests selected are run."""
    engines = sorted({item.callspec.params["engine"] for item in request.session.items
                      if item.module is request.module and hasattr(item, "callspec")})
    servers, runs = [], {}
    try:
        for engine in engines:
            folder = tmp_path_factory.mktemp(f"fuzz-{engine}")
            proc, base, token, token_id = serve_for_fuzzing(request, engine, folder)
            servers.append(proc)
            runs[engine] = (start_fuzzing(base, token, token_id, folder / "report"), folder / "report")

        def finished(engine: str):
            run, report = runs[engine]
            try:
                run.wait(timeout=1200)
            except subprocess.TimeoutExpired:
                run.kill()
                pytest.fail(f"schemathesis on {engine} did not finish in 20 minutes")
            return run.returncode, (report / "out.txt").read_text(), (report / "err.txt").read_text(), report

        yield finished
    finally:
        for run, _ in runs.values():
            if run.poll() is None:
                run.kill()
        for proc in servers:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def failures(report: Path) -> list[dict]:
    """Every failed check of a run, from its NDJSON report: code, operation, status and the answer's start."""
    found = []
    for line in report.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario["recorder"]
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                response = (recorder.get("interactions", {}).get(case_id) or {}).get("response") or {}
                content = response.get("content") or {}
                body = base64.b64decode(content["$base64"]).decode("utf-8", "replace") if "$base64" in content \
                    else ""
                failure = check["failure_info"]["failure"]
                found.append({"code": failure["code"], "operation": failure["operation"],
                              "status": response.get("status_code"), "body": body[:300],
                              "message": failure["message"][:300]})
    return found


def a_rule_the_schema_cannot_state(failure: dict) -> bool:
    """An ST202 (a request valid by the schema refused) answered with a 400 and a message.

    The check expects every request the schema allows to succeed (or be a 401/403/404/409/429). patron's API
    refuses some of them with a 400 that says why, for rules JSON Schema cannot carry: the content of a text
    field in its own language (a playbook's TOML, filters as JSON in a query string), rules across fields (a
    bounce needs the address that bounced; a CES score lies between 1 and the scale's top; a file or the id of
    an earlier upload) and values the store decides (a segment named ``0``, the group ``rung:x``). Those 400s
    are the documented answer; any other ST202 (a 422 from the validator, say) is a schema that does not say
    what the API accepts, and fails the test.
    """
    if failure["code"] != "ST202" or failure["status"] != 400:
        return False
    try:
        return bool(json.loads(failure["body"]).get("error"))
    except ValueError:
        return False


@pytest.mark.parametrize("engine", ENGINES)
def test_the_api_keeps_to_its_schema(fuzzed, engine):
    returncode, stdout, stderr, report_folder = fuzzed(engine)
    tested = re.search(r"Tested: (\d+)", stdout)
    assert tested and int(tested.group(1)) >= 90, stdout[-3000:] + stderr[-2000:]  # every operation tried
    assert "Authentication failed" not in stdout  # and the fuzzer stayed signed in throughout
    [report] = (report_folder / "ndjson").glob("*.ndjson")
    found = failures(report)
    wrong = [f for f in found if not a_rule_the_schema_cannot_state(f)]
    rules = sorted({f["operation"] for f in found if a_rule_the_schema_cannot_state(f)})
    print(f"{len(found) - len(wrong)} schema-valid requests refused with a 400 and its reason, on: {rules}")
    assert not wrong, "schemathesis failures:\n" + "\n".join(
        f"{f['code']} {f['operation']} -> {f['status']}: {f['message']} | {f['body']}" for f in wrong)
    assert returncode in (0, 1), stderr[-2000:]  # 1: failures (all judged above); anything else: an error
    assert "Network Error" not in stdout and "errored" not in stdout.split("Test cases:")[-1][:200], \
        stdout[-3000:]
