"""The demo company imported into a real DuckDB store, twice, and through the CLI."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from patron.demo import import_demo
from patron.store import Store


@pytest.fixture(scope="module")
def imported(demo, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store") / "demo.duckdb")
    first = import_demo(store, demo.out)
    counts = store.counts()
    second = import_demo(store, demo.out)
    yield store, first, second, counts
    store.close()


def test_every_file_imports_except_the_planted_rows(imported, demo, truth):
    _, first, _, _ = imported
    planted = pd.DataFrame(truth["defects"]).groupby("file").size()
    rows = {f.name: n for f, _, n in demo.files}
    for report in first:
        assert report.rows_read == rows[report.file_name]
        assert report.rejected == planted.get(report.file_name, 0), (report.file_name, report.reasons)
        assert report.accepted == report.rows_read - report.rejected
        assert report.already_present == 0


def test_every_planted_row_is_in_quarantine_with_a_reason(imported, truth):
    store, *_ = imported
    quarantine = store.query("SELECT file_name, line, reason FROM quarantine")
    found = {(f, line): reason for f, line, reason in quarantine}
    assert len(quarantine) == len(truth["defects"])
    column_words = {"missing_customer_key": "missing customer_key", "unparseable_date": "is not a date",
                    "text_in_amount": "is not an amount", "unknown_choice": "is not one of"}
    for d in truth["defects"]:
        reason = found.get((d["file"], d["line"]))
        assert reason, d
        assert column_words[d["defect"]] in reason, (d, reason)


def test_a_second_run_changes_nothing(imported):
    store, _, second, counts = imported
    assert all(r.accepted == 0 and r.new_parties == 0 for r in second)
    after = store.counts()
    # Each import is logged, so only the imports table grows.
    assert {k: v for k, v in after.items() if k != "imports"} == {k: v for k, v in counts.items() if k != "imports"}
    assert after["imports"] == 2 * counts["imports"]


def test_store_matches_the_truth(imported, demo, truth_customers, identities):
    store, *_ = imported
    assert store.integrity_problems() == []
    shop_keys = identities[identities.source == "webshop"]
    # Every webshop key, first or second registration, and every CRM key became one party.
    n_keys = store.scalar("SELECT count(*) FROM identities WHERE source = 'webshop'")
    assert n_keys == len(shop_keys)
    assert store.scalar("SELECT count(*) FROM identities WHERE source = 'crm'") == (identities.source == "crm").sum()
    assert store.scalar("SELECT count(*) FROM parties WHERE kind = 'organisation'") == 2 * demo.facts[
        "business_accounts"] + demo.facts["partner_accounts"]
    contacts_linked = store.scalar("SELECT count(*) FROM parties WHERE organisation_id IS NOT NULL")
    assert contacts_linked == demo.facts["business_contacts"]
    referred = store.scalar("SELECT count(*) FROM parties WHERE referred_by IS NOT NULL")
    assert referred >= 0.95 * demo.facts["referred_customers"]
    orders = store.scalar("SELECT count(DISTINCT document) FROM transactions WHERE source = 'webshop' "
                          "AND kind = 'order'")
    assert 0.99 * truth_customers.orders.sum() <= orders <= truth_customers.orders.sum()


def test_cli_runs_the_demo_twice_without_changing_counts(tmp_path, engine_url):
    """On each store engine: ``patron demo`` as a newcomer runs it, then again."""
    from patron.cli.app import app, register

    register()  # what ``patron`` does at start: every command group adds itself to the app

    runner = CliRunner()
    args = ["demo", "--customers", "150", "--seed", "2", "--out", str(tmp_path / "data"),
            "--store", str(engine_url), "--no-serve"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "duplicate registrations" in first.output
    with Store(engine_url) as s:
        before = s.counts()
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    with Store(engine_url) as s:
        after = s.counts()
        # Imports and analysis runs are logs: each demo run adds one of each. The data does not change,
        # so the second run scores every party exactly as the first did.
        columns = "party_id, frequency, p_alive, clv, rung, rfm_segment, health, triage, at_risk"
        first_scores = s.query(f"SELECT {columns} FROM scores WHERE run_id = 1 ORDER BY party_id")
        second_scores = s.query(f"SELECT {columns} FROM scores WHERE run_id = 2 ORDER BY party_id")
        # The firm and its suppliers, distributors and partners have no orders or contacts: nothing to score.
        partners = s.scalar("SELECT count(DISTINCT party_id) FROM identities WHERE source = 'crm' AND "
                            "(source_key LIKE 'SUP-%' OR source_key LIKE 'FIRM-%')")
    for log in ("imports", "runs", "scores"):
        before.pop(log), after.pop(log)
    assert before == after
    assert partners == 13 and len(first_scores) == len(second_scores) == before["parties"] - partners
    # Floats to 1e-7: the engine returns summaries in no fixed order, so sums in the fit differ in the last bits.
    for one, two in zip(first_scores, second_scores):
        assert [v for v in one if not isinstance(v, float)] == [v for v in two if not isinstance(v, float)]
        assert [v for v in one if isinstance(v, float)] == pytest.approx(
            [v for v in two if isinstance(v, float)], rel=1e-7, abs=1e-9)


def test_times_survive_the_export_formats(imported, truth_customers):
    store, *_ = imported
    stored = pd.DataFrame(store.query(
        "SELECT i.source_key, p.acquired_at, p.birth_date FROM parties p JOIN identities i USING (party_id) "
        "WHERE i.source = 'webshop'"), columns=["customer_no", "acquired_at", "birth_date"])
    both = truth_customers.merge(stored, on="customer_no", suffixes=("_true", "_stored"))
    both = both[both.acquired_at_stored.notna()]
    assert len(both) > 0.99 * len(truth_customers)
    true = both.acquired_at_true.dt.tz_convert(None)
    gap = (both.acquired_at_stored - true).dt.total_seconds().abs()
    # Local Berlin minutes in the file: exact to the minute, but for the hour clocks go back in autumn.
    assert (gap < 60).mean() > 0.99
    assert (gap < 3660).all()
    assert both.birth_date.notna().all()
