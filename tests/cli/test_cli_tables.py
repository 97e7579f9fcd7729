"""Names from outside are printed as text in CLI tables: no Rich markup read from them, no terminal escapes let through."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from companies import bgnbd_orders
from patron.cli.app import app, register

register()
runner = CliRunner()
NAMES = ["Ann [/] Crash", "[bold red]Loud[/bold red] Lee", "\x1b]8;;http://evil.example\x1b\\Click\x1b]8;;\x1b\\ Me",
         "\x1b[31mRed\x1b[0m Rob"]


def run(*args, store):
    return runner.invoke(app, [*args, "--store", str(store)], catch_exceptions=False)


def test_markup_and_escapes_in_names_are_shown_as_text(tmp_path, monkeypatch):
    from patron.cli import common

    monkeypatch.setattr(common.console, "width", 400)  # no name wraps (120 customers make wide number columns)
    store = tmp_path / "s.duckdb"
    parties = tmp_path / "parties.csv"
    with open(parties, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "name"])
        for i in range(20):
            w.writerow([f"C{i}", NAMES[i % len(NAMES)]])
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(120, 4)) + "C1,[/] \x1b[2J,5\n")
    assert run("import", "parties", str(parties), store=store).exit_code == 0
    assert run("import", "transactions", str(orders), store=store).exit_code == 0
    assert run("analyze", store=store).exit_code == 0
    r = run("customers", "--limit", "200", store=store)
    assert r.exit_code == 0, r.output
    assert "Ann [/] Crash" in r.stdout and "[bold red]Loud[/bold red] Lee" in r.stdout
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "Click" in r.stdout and "Red" in r.stdout
    r = run("quarantine", store=store)
    assert r.exit_code == 0 and "[/]" in r.stdout and "\x1b" not in r.stdout
