"""Customer profitability of a run: by rung, segment and acquisition channel, and the Stobachoff curve."""

from __future__ import annotations

from dataclasses import dataclass

from patron.analytics.profitability import stobachoff
from patron.store import Store

GROUPINGS = {"rung": "s.rung", "segment": "s.rfm_segment", "channel": "p.acquisition_channel",
             "triage": "s.triage"}


@dataclass
class ProfitabilityReport:
    run_id: int
    customers: int
    total_profit: float
    unprofitable: int
    unprofitable_loss: float  # the summed profit of the unprofitable customers (negative)
    peak_profit: float  # the Stobachoff curve's peak: the profit of the profitable customers alone
    groups: list[dict]  # by the chosen grouping: customers, revenue, cost_to_serve, profit, profit_clv
    curve: list[dict]  # points of the Stobachoff curve: share of customers, cumulative profit


def profitability_report(store: Store, run_id: int, by: str = "rung", points: int = 20) -> ProfitabilityReport:
    """Profit to date of the run's customers, grouped ``by`` rung, segment, channel or triage, and the curve."""
    from patron.errors import InvalidInput

    if by not in GROUPINGS:
        raise InvalidInput(f"Group by one of: {', '.join(GROUPINGS)}; not '{by}'.")
    groups = profit_groups(store, run_id, by)
    scores = store.table("scores")
    curve = stobachoff(scores.filter(scores.run_id == run_id)).to_pyarrow()
    n = curve.num_rows
    cumulative = curve.column("cumulative_profit").to_pylist()
    profit = curve.column("profit").to_pylist()
    marks = sorted({max(1, round(n * k / points)) for k in range(1, points + 1)}) if n else []
    sampled = [{"customers": k, "share": k / n, "cumulative_profit": cumulative[k - 1]} for k in marks]
    losers = [p for p in profit if p < 0]
    return ProfitabilityReport(
        run_id, n, float(cumulative[-1]) if n else 0.0, len(losers), float(sum(losers)),
        float(max(cumulative)) if n else 0.0, groups, sampled)


def profit_groups(store: Store, run_id: int, by: str) -> list[dict]:
    """Customers, revenue, cost to serve, profit, profit CLV and the unprofitable, per rung, segment, channel
    or triage group (``by``), the most profitable group first."""
    column = GROUPINGS[by]
    return store.records(
        f"SELECT coalesce(CAST({column} AS VARCHAR), '(none)') AS grp, count(*) AS customers, "
        "sum(s.revenue) AS revenue, sum(s.cost_to_serve) AS cost_to_serve, sum(s.profit) AS profit, "
        "sum(s.profit_clv) AS profit_clv, count(*) FILTER (WHERE s.profit < 0) AS unprofitable "
        "FROM scores s JOIN parties p ON p.party_id = s.party_id "
        "WHERE s.run_id = ? AND s.profit IS NOT NULL GROUP BY 1 ORDER BY profit DESC", [run_id])


def curve_description(report: ProfitabilityReport, currency: str | None = None) -> str:
    """The Stobachoff curve in words: its text alternative, each sum in the run's ``currency`` when known."""
    if not report.customers:
        return "No customer has a profit in this run."

    def money(value: float) -> str:
        return f"{value:,.0f} {currency}" if currency else f"{value:,.0f}"

    points = "; ".join(f"top {p['share']:.0%} ({p['customers']:,} customers): {money(p['cumulative_profit'])}"
                       for p in report.curve[::max(1, len(report.curve) // 5)])
    return (f"Cumulative profit by customer rank, most profitable first. The profitable customers alone earn "
            f"{money(report.peak_profit)}; {report.unprofitable:,} of {report.customers:,} customers are "
            f"unprofitable and take {money(-report.unprofitable_loss)} away, leaving {money(report.total_profit)}. "
            f"Cumulative profit at {points}.")


def stobachoff_chart(report: ProfitabilityReport, currency: str | None = None):
    """The Stobachoff curve as a chart: cumulative profit against the share of customers, best first."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame(report.curve)
    return (alt.Chart(data, title="Cumulative profit by customer rank (Stobachoff curve)",
                      description=curve_description(report, currency))
            .mark_line(point=True, color="#2e7d32")
            .encode(alt.X("share:Q", axis=alt.Axis(format="%"), title="customers, most profitable first"),
                    alt.Y("cumulative_profit:Q", title=f"cumulative profit ({currency})" if currency else "cumulative profit"),
                    tooltip=["customers", alt.Tooltip("cumulative_profit:Q", format=",.0f")])
            .properties(width=520, height=300))


def save_chart(report: ProfitabilityReport, path):
    """Write the Stobachoff curve of ``report`` to ``path`` (.svg or .html)."""
    from patron.service.charts import save

    return save(stobachoff_chart(report), path)
