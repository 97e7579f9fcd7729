"""The patron command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from companies import bgnbd_orders
from patron.cli.app import app, register

register()
runner = CliRunner()


# BG/NBD buyers the models identify (tests/companies.py), then one line that cannot be read.
ORDERS = "customer_id,date,amount\n" + "".join(bgnbd_orders(120, 4)) + "C1,not a date,5\n"


def run(*args, store):
    result = runner.invoke(app, [*args, "--store", str(store)], catch_exceptions=False)
    return result


def test_entry_point_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "patron", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120"})
    assert out.returncode == 0, out.stderr
    for command in ("import", "analyze", "customers", "demo", "status", "check", "quarantine", "holdout", "ladder"):
        assert command in out.stdout


def test_import_status_quarantine_analyze_customers(tmp_path, engine_url):
    store = engine_url
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS)
    r = run("import", "transactions", str(orders), store=store)
    assert r.exit_code == 0 and "552" in r.stdout
    assert "not a date" in run("quarantine", store=store).stdout
    again = run("import", "transactions", str(orders), store=store)
    assert "imported before" in again.stdout
    assert "transactions" in run("status", store=store).stdout
    assert "sound" in run("check", store=store).stdout
    r = run("analyze", "--charts", str(tmp_path / "charts"), store=store)
    assert r.exit_code == 0, r.stdout
    assert "ladder of loyalty" in r.stdout and "triage" in r.stdout
    svgs = sorted(p.name for p in (tmp_path / "charts").glob("*.svg"))
    assert svgs == ["clv_distribution.svg", "ladder_funnel.svg", "p_alive_matrix.svg", "triage_matrix.svg"]
    assert all((tmp_path / "charts" / s).read_text().startswith("<svg") for s in svgs)
    r = run("customers", "--limit", "5", store=store)
    assert r.exit_code == 0 and "customers (120 match" in r.stdout
    r = run("customers", "--export", str(tmp_path / "c.csv"), store=store)
    # A contact list: nobody here gave consent to email, so nobody is on it.
    said = " ".join(r.stdout.split())
    assert "Wrote 0 customers" in said and "120 left out for lack of email consent" in said
    r = run("customers", "--export", str(tmp_path / "c.csv"), "--no-contact-details", store=store)
    assert (tmp_path / "c.csv").read_text().count("\n") == 121
    r = run("ladder", "--from", "2024-03-01", "--chart", str(tmp_path / "m.svg"), store=store)
    assert r.exit_code == 0 and "ladder migration" in r.stdout and "Moved up" in r.stdout
    assert (tmp_path / "m.svg").read_text().startswith("<svg")
    r = run("holdout", "--split", "2024-09-01", "--chart", str(tmp_path / "h.svg"), store=store)
    assert r.exit_code == 0 and "Total holdout purchases" in r.stdout


def test_errors_are_messages_not_tracebacks(tmp_path):
    env = {**os.environ, "PATRON_STORE": str(tmp_path / "p.duckdb")}
    out = subprocess.run([sys.executable, "-m", "patron", "import", "transactions", str(tmp_path / "nope.csv")],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert "no such file" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "patron", "customers"], capture_output=True, text=True, env=env)
    assert out.returncode == 2 and "run patron analyze first" in out.stderr


@pytest.mark.postgres
def test_server_down_is_a_message_naming_host_and_database(postgres_server):
    env = {**os.environ, "PATRON_STORE": "postgresql://patron:secret@127.0.0.1:1/crm"}
    out = subprocess.run([sys.executable, "-m", "patron", "status"], capture_output=True, text=True, env=env)
    assert out.returncode == 2, out.stderr
    assert "database 'crm' on 127.0.0.1:1" in out.stderr and "Traceback" not in out.stderr
    assert "secret" not in out.stderr


def test_users_tokens_revoked_and_disabled(tmp_path, monkeypatch):
    from patron.areas.users.service import authenticate, user_for_token
    from patron.store import Store

    store = tmp_path / "p.duckdb"
    monkeypatch.setenv("PATRON_PASSWORD", "a long enough password")
    assert run("user", "add", "ann", "--role", "analyst", store=store).exit_code == 0
    nightly = run("user", "token", "ann", "--name", "nightly", store=store).stdout.strip().splitlines()[-1]
    other = run("user", "token", "ann", "--name", "adhoc", store=store).stdout.strip().splitlines()[-1]
    r = run("user", "revoke", "ann", "--name", "nightly", store=store)
    assert r.exit_code == 0 and "Revoked 1 token of ann" in r.stdout
    with Store(store) as s:
        assert user_for_token(s, nightly) is None and user_for_token(s, other).username == "ann"
    assert run("user", "disable", "ann", store=store).exit_code == 0
    with Store(store) as s:
        assert user_for_token(s, other) is None and authenticate(s, "ann", "a long enough password") is None
    assert run("user", "disable", "ann", "--enable", store=store).exit_code == 0
    with Store(store) as s:
        assert user_for_token(s, other).username == "ann"
        actions = [r[0] for r in s.query("SELECT action FROM audit_log ORDER BY happened_at")]
    assert {"token.revoke", "user.disable", "user.enable"} <= set(actions)
    r = runner.invoke(app, ["user", "revoke", "nobody", "--store", str(store)])
    assert r.exit_code != 0 and "There is no user 'nobody'" in str(r.exception)
