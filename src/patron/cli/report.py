"""Printing an analysis run: the fitted models, the ladder, the triage, the overview, the valuable at risk."""

from __future__ import annotations

from rich.table import Table

from patron.cli.common import console
from patron.store.vocabulary import label


def print_model(result) -> None:
    d = result.diagnostics
    console.print(f"[bold]Run {result.run_id}[/] as of {result.as_of:%Y-%m-%d}: {result.customers:,} customers, "
                  f"{result.parties:,} parties scored in {result.seconds:.1f} s ({d.get('currency')}).")
    intervals = d.get("intervals") or {}
    level = intervals.get("level", 0.95)
    table = Table(title="models")
    for col in ("model", "parameter", "estimate", "std. error", f"{level:.0%} interval"):
        table.add_column(col, justify="left" if col in ("model", "parameter") else "right")
    for key in ("transaction_model", "spend_model"):
        m = d[key]
        ses = m.get("standard_errors") or {}
        bounds = (intervals.get("parameters") or {}).get(key, {})
        for i, (name, value) in enumerate(m["params"].items()):
            se = ses.get(name) if isinstance(ses, dict) else None
            low_high = bounds.get(name)
            table.add_row(m["name"] if i == 0 else "", name, f"{value:.4g}", f"{se:.3g}" if se is not None else "",
                          f"{low_high[0]:.4g} – {low_high[1]:.4g}" if low_high else "")
    console.print(table)
    print_coefficients(d["transaction_model"], level)
    choice = d.get("model_choice")
    if choice:
        console.print(f"Model chosen by {choice['criterion']}: {choice['why']}")
    if "total_clv_low" in intervals:
        console.print(f"Total CLV {intervals['total_clv']:,.0f}, {level:.0%} interval {intervals['total_clv_low']:,.0f}"
                      f" – {intervals['total_clv_high']:,.0f} ({intervals['method']}, {intervals['draws']} draws).")
    elif intervals.get("total_not_computed"):
        console.print(f"  [dim]Note: {intervals['total_not_computed']}.[/]")
    elif intervals.get("error"):
        console.print(f"  [yellow]No intervals: {intervals['error']}[/]")
    for warning in d.get("fit_warnings", []):
        console.print(f"  [yellow]Fit warning: {warning}[/]")
    for note in result.notes + d.get("warnings", []):
        console.print(f"  [dim]{note}[/]")


#: What a positive coefficient of each scaled parameter means (patron.models.covariates).
COEFFICIENT_MEANING = {"alpha": "buys more often", "beta": "leaves sooner", "a": "leaves sooner",
                       "b": "stays longer"}


def print_coefficients(fit: dict, level: float = 0.95) -> None:
    """The covariates' coefficients of a run's transaction model, if it has any, with what the reference is."""
    rows = fit.get("coefficients")
    if not rows:
        return
    table = Table(title=f"covariates of the {fit['name']}")
    for col in ("covariate", "scales", "coefficient", "std. error", f"{level:.0%} interval", "a positive value:"):
        table.add_column(col, justify="right" if col in ("coefficient", "std. error", f"{level:.0%} interval")
                         else "left")
    for r in rows:
        table.add_row(r["covariate"], r["parameter"], f"{r['coefficient']:+.3f}", f"{r['standard_error']:.3f}",
                      f"{r['low']:+.3f} – {r['high']:+.3f}", COEFFICIENT_MEANING.get(r["parameter"], ""))
    console.print(table)
    console.print("  [dim]The parameters above (alpha0, …) are a customer's at the reference of every category and "
                  "the mean of every number.[/]")
    for c in fit.get("covariates", []):
        if c["kind"] == "category":
            console.print(f"  [dim]{c['column']}: compared with {c['levels'][0]} ({c['counts'][0]:,} customers), "
                          f"{len(c['levels']) - 1} other value(s).[/]")
        else:
            console.print(f"  [dim]{c['column']}: per standard deviation ({c['sd']:,.4g}) from its mean "
                          f"({c['mean']:,.4g}).[/]")


def print_value_summary(s, run_id: int, top: int = 20) -> None:
    """Ladder, triage and the most valuable customers at risk, for a run."""
    from patron.service.analyze import ladder_counts, triage_table, valuable_at_risk

    print_ladder(ladder_counts(s, run_id))
    print_triage(triage_table(s, run_id))
    print_overview(s, run_id)
    risky = valuable_at_risk(s, run_id, top)
    table = Table(title=f"the {len(risky)} most valuable customers at risk")
    for col in ("party", "customer", "net revenue", "CLV", "P(alive)", "health", "rung", "why"):
        table.add_column(col, justify="right" if col in ("net revenue", "CLV", "P(alive)", "health") else "left",
                         overflow="fold")
    for r in risky:
        table.add_row(str(r["party_id"]), r["customer"] or "", f"{r['revenue']:,.0f}", f"{r['clv']:,.0f}",
                      f"{r['p_alive']:.2f}", f"{r['health']:.0f}" if r["health"] is not None else "",
                      label(r["rung"]), r["reasons"] or "")
    console.print(table)


def print_ladder(counts: list[tuple[str, int]]) -> None:
    ladder = Table(title="ladder of loyalty")
    ladder.add_column("rung")
    ladder.add_column("parties", justify="right")
    ladder.add_column("")
    widest = max((n for _, n in counts), default=1) or 1
    for rung, n in reversed(counts):
        ladder.add_row(rung, f"{n:,}", "█" * max(0, round(30 * n / widest)))
    console.print(ladder)


def print_triage(rows: list[dict]) -> None:
    triage = Table(title="triage: value (CLV) × relationship quality (health)")
    for col in ("value", "quality", "group", "parties", "CLV", "mean health"):
        triage.add_column(col, justify="right" if col in ("parties", "CLV", "mean health") else "left")
    colour = {"best": "green", "average": "yellow", "worst": "red"}
    for row in rows:
        group = row["triage"]
        triage.add_row(row["value_tier"] or "-", row["quality_tier"] or "-",
                       f"[{colour.get(group, 'white')}]{group}[/]", f"{row['parties']:,}",
                       f"{row['total_value'] or 0:,.0f}", f"{row['mean_quality'] or 0:.0f}")
    console.print(triage)


def print_overview(s, run_id: int) -> None:
    """Revenue mix, customers lost, acquisition cost against CLV, and the triage plans."""
    from patron.service.overview import relationship_overview, run_currency

    o = relationship_overview(s, run_id)
    mix, lost = o.revenue_mix, o.lost
    currency = run_currency(s, run_id)
    money = f"{currency} " if currency else ""
    if mix.get("revenue"):
        console.print(
            f"Last 12 months to {o.as_of:%Y-%m-%d}: revenue {money}{mix['revenue']:,.0f} net of refunds "
            f"({money}{mix['refunds']:,.0f} refunded); [bold]{mix['relational_share']:.0%} relational[/] "
            f"(from {mix['relational_customers']:,} repeat buyers), {1 - mix['relational_share']:.0%} "
            f"transactional (from {mix['transactional_customers']:,} one-off buyers).")
    if lost.get("customers"):
        console.print(
            f"Lost in the last 12 months (no purchase for a year): [bold]{lost['customers']:,} customers[/] who "
            f"brought {money}{lost['lost_revenue'] or 0:,.0f} revenue"
            + (f" and {lost['lost_margin']:,.0f} margin" if lost.get("lost_margin") else "")
            + " in their last year.")
    if o.acquisition:
        table = Table(title="acquisition cost against lifetime value (12-month CLV), by channel")
        for col in ("channel", "customers", "mean cost", "mean CLV", "CLV / cost"):
            table.add_column(col, justify="left" if col == "channel" else "right")
        for a in sorted(o.acquisition, key=lambda a: -(a["value_to_cost"] or 0)):
            ratio = a["value_to_cost"]
            table.add_row(a["acquisition_channel"], f"{a['customers']:,}", f"{a['mean_acquisition_cost'] or 0:,.2f}",
                          f"{a['mean_value'] or 0:,.2f}",
                          "" if ratio is None else f"[{'green' if ratio >= 1 else 'red'}]{ratio:.2f}[/]")
        console.print(table)
    for group in ("best", "average", "worst"):
        console.print(f"  [bold]{group}[/]: {o.plans[group]}")
