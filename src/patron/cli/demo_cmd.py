"""``patron demo``: build the demo company, write its exports and import them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, progress_bar

commands = typer.Typer()


@commands.command("demo")
def demo_command(
    customers: Annotated[int, typer.Option(
        "--customers", "-n", min=100, max=10_000_000,
        help="B2C customers to simulate (100 to 10,000,000); business accounts are 1 % of that.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same files.")] = 1,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder for the exports, their mappings and the ground truth.")] = Path("demo-data"),
    no_serve: Annotated[bool, typer.Option(
        "--no-serve", help="Do not offer to open the company in the web app afterwards (for scripts).")] = False,
    analyze: Annotated[bool, typer.Option(
        "--analyze/--no-analyze", help="Score every customer afterwards and show the ladder, the triage and "
        "the most valuable customers at risk.")] = True,
    store: StoreOption = None,
) -> None:
    """Run the demo company end to end: simulate it, write what its four systems export, import it.

    The company sells coffee and tea to consumers (webshop) and to businesses (on invoice). Its
    customers buy and leave by a known process, and the exports carry the defects real ones do:
    duplicate registrations, typos and a few unreadable rows. The true parameters and every
    planted defect are in truth.json beside the files.

    Examples:

      patron demo

      patron demo --customers 100000 --seed 7 --out /tmp/demo --store /tmp/demo.duckdb
    """
    from patron.service.demo import (
        demo_steps,
        generate_demo,
        generate_steps,
        import_demo,
        record_demo_campaign,
        record_demo_reviews,
    )

    total = demo_steps(customers)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("simulating", total=total)
        result = generate_demo(out, customers, seed,
                               progress=lambda step, done, _: bar.update(task, completed=done, description=step))
        offset = generate_steps(customers)
        with open_store(store) as s:
            reports = import_demo(s, out, progress=lambda step, done, _: bar.update(
                task, completed=offset + done, description=step))
            record_demo_campaign(s, out)  # the past campaign the demo's truth holds, with its control group
            record_demo_reviews(s, out)  # the sales CRM's account reviews: stakeholder maps, trust, Wilson, Bensaou
            counts = s.counts()
    # The progress bar is gone from here on: tables, the analysis and the question print cleanly.
    _print_summary(result, reports, counts)
    with open_store(store) as s:
        if analyze:
            _analyze(s)
        password = None if no_serve else _offer_to_serve(s)
    if password is not None:  # "" means the demo user existed already
        from patron.cli.serve_cmd import serve

        if password:
            console.print(f"Sign in as [bold]demo[/] with the password [bold]{password}[/] (shown once).")
        serve(store=store)


def _offer_to_serve(s) -> str | None:
    """In a terminal, offer the web app with a 'demo' user; elsewhere say how. Returns the new password."""
    import secrets
    import sys

    from patron.areas.users.service import add_user, get_user

    if not sys.stdin.isatty():
        console.print("To look around in the web app: [bold]patron user add NAME --role admin[/], then "
                      "[bold]patron serve[/].")
        return None
    if not typer.confirm("Open the demo company in the web app now?", default=True):
        return None
    if get_user(s, "demo"):
        console.print("A user 'demo' exists already: sign in with its password.")
        return ""
    password = secrets.token_urlsafe(9)
    add_user(s, "demo", password, "admin", "Demo Admin")
    return password


def _analyze(s) -> None:
    from patron.cli.report import print_model, print_value_summary
    from patron.service.analyze import analyze as run_analysis

    with progress_bar("analysing") as report:
        result = run_analysis(s, progress=report)
    print_model(result)
    print_value_summary(s, result.run_id)


def _print_summary(result, reports, counts: dict[str, int]) -> None:
    files = Table(title=f"imported from {result.out}")
    for col, justify in (("file", "left"), ("kind", "left"), ("accepted", "right"), ("rejected", "right"),
                         ("already present", "right"), ("new parties", "right")):
        files.add_column(col, justify=justify, no_wrap=col in ("file", "kind"))
    for r in reports:
        files.add_row(r.file_name, r.kind, f"{r.accepted:,}", f"{r.rejected:,}", f"{r.already_present:,}",
                      f"{r.new_parties:,}")
    console.print(files)

    store = Table(title="store")
    store.add_column("table")
    store.add_column("rows", justify="right")
    for name, n in counts.items():
        store.add_row(name, f"{n:,}")
    console.print(store)

    f = result.facts
    console.print(
        f"[bold]The demo company[/] (seed {result.seed}): {f['customers']:,} consumers and "
        f"{f['business_accounts']:,} business accounts with {f['business_contacts']:,} contacts.\n"
        f"{f['orders']:,} orders, net revenue EUR {f['net_revenue_b2c']:,.2f} from consumers and "
        f"EUR {f['invoiced_b2b']:,.2f} invoiced to businesses.\n"
        f"{f['one_time_buyers_share']:.0%} bought once and never again; {f['alive_at_end_share']:.0%} are "
        f"still active at the end; {f['referred_customers']:,} came through a referral.\n"
        f"Planted for you to find: {f['duplicates_planted']:,} duplicate registrations and "
        f"{f['defects_planted']:,} unreadable rows (see the quarantine); the answers are in "
        f"{result.out / 'truth.json'}.\n"
        f"Generated in {result.seconds:.1f} s, imported in {sum(r.seconds for r in reports):.1f} s."
    )
