"""The value analysis: one run over the store, one row of scores per party.

Steps (each reported to ``progress``):

1. per-party purchase summary in the engine (Ibis), kept there;
2. fit the transaction model (BG/NBD by default) and Gamma-Gamma on the
   distinct histories, grouped in the engine (only those rows leave it), in NumPy;
3. score every customer where the customers are (:mod:`patron.models.scoring`):
   probability alive, expected purchases and spend over the horizon, CLV,
   expected time to the next purchase, at-risk flag with its reasons;
4. RFM, ladder of loyalty and health scorecard in the engine, triage of CLV
   against health;
5. write a ``runs`` row (settings, model diagnostics) and the ``scores`` rows,
   in one transaction.

The same steps run on any engine (:mod:`patron.engines`): :func:`analyze` over
the store, :func:`patron.service.lake.analyze_lake` over a lake of Parquet tables on DuckDB or Spark.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import pyarrow as pa

from patron.analytics.covariates import with_covariates
from patron.analytics.health import health_scorecard
from patron.analytics.ladder import ladder_rules_from, ladder_rung
from patron.analytics.periods import as_of_instant
from patron.analytics.profitability import cost_rules_from, cost_to_serve, customer_profit
from patron.analytics.rfm import rfm_scores
from patron.analytics.summary import customer_summary, purchase_days
from patron.analytics.triage import triage, triage_cuts, triage_rules_from
from patron.engines.store import StoreEngine
from patron.errors import InvalidInput, PatronError
from patron.models.scoring import COVARIATE_MODELS, MODELS, PERIODS_PER_MONTH, fit_value_models, plain
from patron.service.audit import record
from patron.service.inputs import check_range, parse_date
from patron.service.runs import (  # the read side of a run (ladder_counts …), imported from here by the interfaces
    ladder_counts,
    latest_run,
    prune_runs,
    runs_kept,
    settle_run,
    triage_table,
    valuable_at_risk,
)
from patron.store import Store

__all__ = ["MODELS", "PERIODS_PER_MONTH", "AnalysisSettings", "analyze", "ladder_counts", "latest_run", "record_run",
           "triage_table", "valuable_at_risk", "value_run"]
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class AnalysisSettings:
    """What a run computes; every field is saved with the run.

    Parameters
    ----------
    as_of
        The date the analysis looks from; default: the latest transaction.
    time_unit
        ``day``, ``week`` or ``month``: the period in which purchases are counted.
        Days by default: coarser periods merge purchases made in the same
        period, which biases the fit (on the demo company, weekly periods
        put the BG/NBD alpha about 20% above the truth; daily ones recover it).
    model
        ``bgnbd`` (BG/NBD), ``pareto`` (Pareto/NBD), ``mbgnbd`` (MBG/NBD), ``bgbb`` (BG/BB: each period
        one opportunity to buy) or ``auto`` (the lowest AIC of the first three, the comparison saved).
    horizon_months
        How far CLV and expected purchases look ahead.
    monthly_discount_rate
        Discount rate per month for CLV (0.01 is about 12.7% a year).
    margin
        Share of revenue that is margin, for CLV. ``None``: the store's own
        margin where costs are known for at least half the revenue, else 1
        (CLV is then a value of revenue, and the run says so).
    currency
        Analyse this currency only; default: the one with the most revenue.
    at_risk_p_alive
        A customer is at risk when the probability alive is below this...
    at_risk_value_quantile
        ...and their past revenue is in the top share above this quantile of repeat buyers.
    rules
        A TOML file with ``[ladder]``, ``[triage]`` and ``[costs]`` tables that change the ladder's,
        the triage's and the cost to serve's rules (``docs/ladder.md``, ``docs/profitability.md`` list
        them and their defaults); ``None``: the defaults.
    covariates
        Columns of the party record the transaction model's rates depend on (an acquisition channel, a
        numeric attribute; :mod:`patron.analytics.covariates`), with ``bgnbd`` or ``pareto`` only; empty:
        none. The coefficients and their standard errors are saved with the run's model.
    """

    as_of: str | None = None
    time_unit: str = "day"
    model: str = "bgnbd"
    horizon_months: int = 12
    monthly_discount_rate: float = 0.01
    margin: float | None = None
    currency: str | None = None
    at_risk_p_alive: float = 0.5
    at_risk_value_quantile: float = 0.8
    rules: str | None = None
    covariates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = self.covariates.split(",") if isinstance(self.covariates, str) else self.covariates or ()
        object.__setattr__(self, "covariates", tuple(n.strip() for n in names if n and n.strip()))
        if self.covariates and self.model not in COVARIATE_MODELS:
            raise InvalidInput(f"Covariates work with the {' and '.join(COVARIATE_MODELS)} models, not "
                               f"'{self.model}': choose --model bgnbd or --model pareto.")
        # The same limits as the API's request body (areas/jobs/schemas.py), so the command line agrees.
        if self.as_of is not None:
            parse_date(self.as_of, "the as-of date")
        if self.time_unit not in PERIODS_PER_MONTH:
            raise InvalidInput(f"Unknown time unit '{self.time_unit}'. Choose day, week or month.")
        if self.model not in MODELS and self.model != "auto":
            raise InvalidInput(f"Unknown model '{self.model}'. Choose one of: {', '.join(MODELS)} or auto.")
        check_range(self.horizon_months, "the horizon", 1, 120, unit=" months")
        check_range(self.monthly_discount_rate, "the monthly discount rate", 0, 0.5)
        check_range(self.margin, "the margin (a share of revenue)", 0, 1, low_open=True)
        check_range(self.at_risk_p_alive, "the at-risk probability", 0, 1)
        check_range(self.at_risk_value_quantile, "the at-risk value quantile", 0, 1)


@dataclass
class AnalysisResult:
    run_id: int
    settings: AnalysisSettings
    as_of: dt.datetime
    customers: int
    parties: int
    diagnostics: dict
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: current (the pages show it), kept (a backdated run) or failed (not sound: never shown)
    status: str | None = None


def _as_of(settings: AnalysisSettings, transactions) -> dt.datetime:
    if settings.as_of:
        return parse_date(settings.as_of, "the as-of date")
    latest = transactions.occurred_at.max().to_pyarrow().as_py()
    if latest is None:
        raise PatronError("There are no transactions to analyse yet. Import orders or invoices first "
                          "(patron import transactions FILE), or run patron demo.")
    return latest


def _choose_currency(transactions, settings: AnalysisSettings, notes: list[str]):
    """The transactions of the run's currency, the currency, and whether they are all the transactions."""
    if "currency" not in transactions.columns:  # a firm's own table in one currency
        return transactions, settings.currency, True
    by_currency = (transactions.group_by("currency").aggregate(revenue=transactions.revenue.sum())
                   .order_by(ibis.desc("revenue")).to_pyarrow().to_pylist())
    if not by_currency:
        return transactions, None, True
    if settings.currency:
        if settings.currency.upper() not in {r["currency"] for r in by_currency}:
            raise PatronError(f"No transactions in {settings.currency}; the store has "
                              f"{', '.join(r['currency'] for r in by_currency)}.")
        chosen = settings.currency.upper()
    else:
        chosen = by_currency[0]["currency"]
        if len(by_currency) > 1:
            notes.append(f"Transactions are in {len(by_currency)} currencies; this run analyses {chosen} only "
                         "(choose with --currency).")
    whole = len(by_currency) == 1 and by_currency[0]["currency"] is not None
    return transactions.filter(transactions.currency == chosen), chosen, whole


def _totals(summary, settings: AnalysisSettings) -> dict:
    """Base-wide numbers of the summary, in the engine: customers, revenue and cost coverage, at-risk cut."""
    s = summary
    revenue = s.revenue.fill_null(0.0)
    totals = s.aggregate(
        customers=s.count(), revenue=revenue.sum(), margin=s.margin.sum(),
        covered=(revenue * s.margin_coverage.fill_null(0.0)).sum(),
    ).to_pyarrow().to_pylist()[0]
    repeaters = s.filter(s.frequency > 0)
    threshold = repeaters.aggregate(
        cut=repeaters.revenue.fill_null(0.0).quantile(settings.at_risk_value_quantile)
    ).to_pyarrow().to_pylist()[0]["cut"]
    totals["at_risk_threshold"] = float("inf") if threshold is None else float(threshold)
    return totals


def _margin(totals: dict, settings: AnalysisSettings, notes: list[str]) -> float:
    if settings.margin is not None:
        return float(settings.margin)
    revenue, covered = totals["revenue"] or 0.0, totals["covered"] or 0.0
    if revenue > 0 and covered / revenue >= 0.5:
        share = float((totals["margin"] or 0.0) / covered)
        notes.append(f"CLV uses the store's own margin: {share:.1%} of revenue (costs known for "
                     f"{covered / revenue:.0%} of it).")
        return share
    notes.append("Costs are unknown for most revenue: CLV is a value of revenue (margin 100%); "
                 "give --margin to value margin instead.")
    return 1.0


def compressed_histories(summary, covariates: list[str] = ()) -> tuple[pa.Table, pa.Table]:
    """The distinct histories the models fit on, with how many customers have each (grouped in the engine).

    ``(frequency, recency, T, customers)`` (and the ``covariates`` columns, when given) for the transaction model and
    ``(frequency, monetary_value, customers)`` of repeat buyers with positive
    spend for Gamma-Gamma. Only these rows leave the engine.
    """
    s = summary
    # spend_sum: the customers' mean spends summed per history, for the interval of the total CLV.
    histories = s.group_by(["frequency", "recency", "T", *covariates]).aggregate(
        customers=s.count(), spend_sum=s.monetary_value.fill_null(0.0).sum()).to_pyarrow()
    repeat = s.filter((s.frequency > 0) & (s.monetary_value > 0))
    spend = repeat.group_by(["frequency", "monetary_value"]).aggregate(customers=repeat.count()).to_pyarrow()
    return histories, spend


@dataclass
class ValueRun:
    """A value run computed but not yet saved: ``rows`` is the Ibis expression of its scores rows."""

    run_id: int
    as_of: dt.datetime
    customers: int
    rows: object
    diagnostics: dict
    notes: list[str]
    #: set when saved: current, kept or failed (:mod:`patron.service.runs`)
    status: str | None = None


def value_run(engine, settings: AnalysisSettings, run_id: int, report: Progress) -> ValueRun:
    """Summaries, models, scores and relationship measures on any engine (see :mod:`patron.engines`).

    The per-customer summary is materialised in the engine; the distinct
    histories and a few totals come out; the fitted scorer goes back in and
    runs where the customers are; RFM, ladder, health and triage are Ibis.
    """
    if settings.model not in MODELS and settings.model != "auto":
        raise PatronError(f"Unknown model '{settings.model}'. Choose one of: {', '.join(MODELS)} or auto.")
    if settings.time_unit not in PERIODS_PER_MONTH:
        raise PatronError(f"Unknown time unit '{settings.time_unit}'. Choose day, week or month.")
    notes: list[str] = []
    ladder_rules, triage_rules = ladder_rules_from(settings.rules), triage_rules_from(settings.rules)
    cost_rules = cost_rules_from(settings.rules)
    report("summaries", 0.05)
    transactions, currency, whole = _choose_currency(engine.table("transactions"), settings, notes)
    as_of = _as_of(settings, transactions)
    transactions = transactions.filter(transactions.occurred_at <= as_of)
    # One pass over the transactions by party and day, which the ladder and both health scorecards read, and
    # the summary too when it counts days over every transaction (one currency): the same grouping, made once.
    shared = whole and settings.time_unit == "day"
    days = engine.persist(purchase_days(engine.table("transactions"), as_of_instant(as_of), values=shared),
                          "purchase_days")
    summary_expr = customer_summary(transactions, time_unit=settings.time_unit, observation_end=as_of,
                                    days=days if shared else None)
    summary_t = engine.persist(summary_expr, "summary")
    totals = _totals(summary_t, settings)
    if not totals["customers"]:
        raise PatronError("No purchases before the as-of date: nothing to analyse.")
    margin = _margin(totals, settings, notes)
    # Covariates (Fader & Hardie 2007): party columns coded in the engine, beside each customer's summary.
    scored, covariates = with_covariates(engine.table("parties"), summary_t, settings.covariates)
    report("fitting models", 0.3)
    histories, spend_histories = compressed_histories(scored, covariates["columns"] if covariates else [])
    scorer, diagnostics = fit_value_models(histories, spend_histories, settings, margin,
                                           totals["at_risk_threshold"], covariates)
    diagnostics["currency"] = currency
    report("scoring customers", 0.45)
    predicted = engine.score(scored, scorer, "predicted")
    report("relationship measures", 0.55)
    rfm = rfm_scores(summary_t, monetary="monetary_value")
    # Per-party results are materialised: Spark would recompute a shared subquery, and DuckDB took 4 CPU-s more
    # (11.0 against 7.0 at 1M customers) to make the wide table with the ladder, health and profits inside it.
    # The ladder reads the run's P(alive): a buyer the model thinks gone has lapsed (seed 004).
    ladder = engine.persist(ladder_rung(engine, as_of, rules=ladder_rules, p_alive=predicted.select("party_id", "p_alive"),
                              days=days).select("party_id", "rung", "rung_level", "rung_reason"), "ladder")
    health = engine.persist(health_scorecard(engine, as_of, days=days).select("party_id", "health", "health_trend"),
                            "health")
    # Profitability (seed 001, 004): activity-based cost to serve, profit to date, profit-based CLV.
    values = _attach(predicted.select("party_id", "clv", "expected_purchases", "expected_spend"), summary_t,
                     ["margin", "revenue"])
    # Over every transaction, the summary's orders and refunds are the deliveries and refunds the cost to serve
    # counts (of the customers valued here): not counted again.
    counted = summary_t.select("party_id", "refunds", deliveries=summary_t.orders) if whole else None
    profits = engine.persist(customer_profit(values, cost_to_serve(engine, as_of, rules=cost_rules, orders=counted),
                                             margin_share=margin), "profits")
    # One wide per-party table, made once in the engine: every join of the run in one statement. The triage
    # reads its inputs from it without joining again (it used to join the ladder, health and P(alive) three
    # times over: once for its rows and once for each of its two cuts).
    wide = ladder
    wide = _attach(wide, summary_t, [c for c in summary_t.columns if c != "party_id"])
    wide = _attach(wide, predicted, [c for c in predicted.columns if c != "party_id"])
    wide = _attach(wide, rfm, ["r_score", "f_score", "m_score", "segment"])
    wide = _attach(wide, health, ["health", "health_trend"])
    wide = _attach(wide, profits.mutate(valued=ibis.literal(True)), ["cost_to_serve", "profit", "profit_clv",
                                                                      "valued"])
    wide = engine.persist(wide.mutate(lost=wide.rung == "lapsed", at_risk=wide.at_risk.fill_null(False)), "wide")
    # The triage's cuts are quantiles of the valued customers, found first (one small query); every row is
    # then triaged against them in one projection of the wide table, no join: the others are unrated.
    valued = wide.filter(wide.valued.fill_null(False))
    cuts = triage_cuts(valued, valued, value_column="profit_clv", quality_column="health", rules=triage_rules,
                       lost=valued, at_risk=valued)
    t = triage(wide, wide, value_column="profit_clv", value_label="profit CLV", quality_column="health",
               rules=triage_rules, lost=wide, at_risk=wide, cuts=cuts,
               carry=tuple(c for c in wide.columns if c not in ("party_id", "lost")))
    rated = t.valued.fill_null(False)
    rows = t.select(
        run_id=ibis.literal(run_id, "int64"), party_id="party_id", frequency="frequency",
        recency=t.recency.cast("float64"), t=t["T"].cast("float64"),
        monetary_value=t.monetary_value.cast("float64"),
        first_purchase_at="first_purchase_at", last_purchase_at="last_purchase_at", orders="orders",
        # A customer's revenue is net of refunds, as on every page (patron.analytics.summary: net_revenue).
        revenue=t.net_revenue.cast("float64"), margin=t.margin.cast("float64"),
        p_alive="p_alive", expected_purchases="expected_purchases", expected_spend="expected_spend", clv="clv",
        next_purchase_in="next_purchase_in", r_score=t.r_score.cast("int32"),
        f_score=t.f_score.cast("int32"), m_score=t.m_score.cast("int32"), rfm_segment="segment",
        rung="rung", rung_level=t.rung_level.cast("int32"), health="health", health_trend="health_trend",
        triage=ibis.ifelse(rated, t.triage, "unrated"),
        value_tier=ibis.ifelse(rated, t.value_tier, ibis.null("string")),
        quality_tier=ibis.ifelse(rated, t.quality_tier, ibis.null("string")),
        at_risk="at_risk", reasons="reasons", rung_reason="rung_reason",
        triage_reason=ibis.ifelse(rated, t.triage_reason, "unrated because: not scored by the value models"),
        cost_to_serve=t.cost_to_serve.cast("float64"), profit=t.profit.cast("float64"),
        profit_clv=t.profit_clv.cast("float64"),
        p_alive_low="p_alive_low", p_alive_high="p_alive_high", clv_low="clv_low", clv_high="clv_high",
    )
    return ValueRun(run_id, as_of, int(totals["customers"]), rows, diagnostics, notes)


def record_run(store: Store, run: ValueRun, settings: AnalysisSettings, engine: str,
               insert_scores: Callable[[int], None], *, fresh_id: bool = False, user: Any = None,
               run_by: str | None = None) -> tuple[int, int]:
    """Write the ``runs`` row and (through ``insert_scores(run_id)``) the ``scores`` rows in one transaction.

    With ``fresh_id`` the run's id is taken inside this transaction rather than the one ``run`` was computed
    with: on a server, two analyses started together then each get their own (the second waits for the
    first's lock). Returns the run id and the number of parties scored. The run's audit row (who: ``user``,
    else ``run_by``; the parties scored as its ``row_count``) is written in the same transaction.
    """
    settings_json = json.dumps(asdict(settings), default=str)
    with store.transaction():
        run_id = store.next_id("runs", "run_id") if fresh_id else run.run_id
        store.raw.execute(
            "INSERT INTO runs (run_id, kind, started_at, finished_at, as_of, engine, settings, diagnostics, parties) "
            "VALUES (?, 'value', now()::TIMESTAMP, NULL, ?, ?, ?, ?, NULL)",
            [run_id, run.as_of, engine, settings_json, json.dumps(plain(run.diagnostics), default=str)],
        )
        insert_scores(run_id)
        parties = store.scalar("SELECT count(*) FROM scores WHERE run_id = ?", [run_id])
        store.raw.execute("UPDATE runs SET finished_at = now()::TIMESTAMP, parties = ? WHERE run_id = ?",
                          [parties, run_id])
        status, explained = settle_run(store, run_id, run.as_of, plain(run.diagnostics))
        record(store, user, "run.create", "run", run_id,
               {"engine": engine, "as_of": run.as_of, "customers": run.customers, "status": status,
                "model": settings.model}, row_count=parties, username=run_by)
        pruned = prune_runs(store)
    run.status = status
    if pruned:
        explained.append(f"{len(pruned)} old run(s) deleted with their scores (keeping the newest "
                         f"{runs_kept(store)}, the current picture and the runs campaigns were built on).")
    run.notes.extend(explained)
    return run_id, parties


def analyze(store: Store, settings: AnalysisSettings = AnalysisSettings(),
            progress: Progress | None = None, *, user: Any = None, run_by: str | None = None) -> AnalysisResult:
    """Run the value analysis over the whole store and save its scores as a new run, audited as ``user``'s (else
    ``run_by``'s, the command line's account)."""
    started = time.perf_counter()
    report = progress or (lambda step, fraction: None)
    engine = StoreEngine(store)
    # The run's id is taken when it is written (record_run, fresh_id): 0 stands in until then.
    try:
        run = value_run(engine, settings, 0, report)
        report("saving scores", 0.8)
        run_id, parties = record_run(
            store, run, settings, store.backend_name,
            lambda run_id: store.ibis.insert("scores", run.rows.mutate(run_id=ibis.literal(run_id, "int64"))),
            fresh_id=True, user=user, run_by=run_by)
    finally:
        engine.release()
    report("done", 1.0)
    return AnalysisResult(run_id, settings, run.as_of, run.customers, parties, run.diagnostics, run.notes,
                          time.perf_counter() - started, run.status)


def _attach(left, right, columns: list[str]):
    """``left`` with ``columns`` of ``right`` joined on party_id (left join)."""
    r = right.select(_party=right.party_id, **{c: right[c] for c in columns})
    j = left.left_join(r, left.party_id == r._party)
    return j.select(*[j[c] for c in left.columns], *[j[c] for c in columns])
