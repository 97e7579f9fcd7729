"""``patron tasks`` and ``patron list`` on a DuckDB file: add, list overdue first, finish; a filtered list page."""

from __future__ import annotations

from typer.testing import CliRunner

from companies import bgnbd_orders
from patron.cli.app import app, register

register()
runner = CliRunner()


def run(*args, store, refused=False):
    return runner.invoke(app, [*args, "--store", str(store)], catch_exceptions=refused)


def test_tasks_and_the_list(tmp_path):
    store = tmp_path / "patron.duckdb"
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(120, 4)))
    assert run("import", "transactions", str(orders), store=store).exit_code == 0
    assert run("analyze", store=store).exit_code == 0
    assert run("tasks", "add", "1", "Ring back", "--due", "2100-01-01", store=store).exit_code == 0
    assert run("tasks", "add", "2", "Late one", "--due", "2020-01-01", store=store).exit_code == 0
    listed = run("tasks", "list", store=store).output
    assert listed.index("Late one") < listed.index("Ring back") and "overdue" in listed
    assert run("tasks", "done", "2", store=store).output.strip() == "Task 2 done."
    assert "Late one" not in run("tasks", "list", store=store).output
    bad = run("tasks", "add", "99999", "Nobody", store=store, refused=True)  # main() prints the message
    assert bad.exit_code != 0 and "There is no party 99999" in str(bad.exception)
    page = run("list", "--filters", '[{"field": "clv", "op": "gte", "value": 0}]', "--sort", "-clv", "--limit", "5",
               store=store)
    assert page.exit_code == 0 and "Next page: --cursor" in page.output
    wrong = run("list", "--filters", '[{"field": "clv", "op": "gte", "value": "x"}]', store=store, refused=True)
    assert wrong.exit_code != 0 and "takes a number" in str(wrong.exception)
