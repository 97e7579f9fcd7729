"""The value analysis: one run over the store, one row of scores per party.

Steps (each reported to ``progress``):

1. per-party purchase summary in the engine (Ibis; only compact rows leave it);
2. fit the transaction model (BG/NBD by default) and Gamma-Gamma on those
   summaries, in NumPy;
3. score every customer: probability alive, expected purchases and spend over
   the horizon, CLV, expected time to the next purchase, at-risk flag with
   its reasons;
4. RFM, ladder of loyalty and health scorecard in the engine, triage of CLV
   against health;
5. write a ``runs`` row (settings, model diagnostics) and the ``scores`` rows,
   in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import ibis
import numpy as np
import pyarrow as pa

from patron.analytics.health import health_scorecard
from patron.analytics.ladder import RUNGS, ladder_rung
from patron.analytics.rfm import rfm_scores
from patron.analytics.summary import customer_summary
from patron.analytics.triage import triage, triage_matrix
from patron.errors import PatronError
from patron.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD, customer_lifetime_value
from patron.models.base import ModelError
from patron.store import Store

MODELS = {"bgnbd": BetaGeo, "pareto": ParetoNBD, "mbgnbd": ModifiedBetaGeo}
PERIODS_PER_MONTH = {"day": 30.0, "week": 30.0 / 7.0, "month": 1.0}
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
        ``bgnbd`` (BG/NBD), ``pareto`` (Pareto/NBD) or ``mbgnbd`` (MBG/NBD).
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


def _as_of(store: Store, settings: AnalysisSettings, transactions) -> dt.datetime:
    if settings.as_of:
        try:
            return dt.datetime.fromisoformat(str(settings.as_of))
        except ValueError:
            raise PatronError(f"--as-of '{settings.as_of}' is not a date (use YYYY-MM-DD).") from None
    latest = transactions.occurred_at.max().to_pyarrow().as_py()
    if latest is None:
        raise PatronError("There are no transactions to analyse yet. Import orders or invoices first "
                          "(patron import transactions FILE), or run patron demo.")
    return latest


def _choose_currency(transactions, settings: AnalysisSettings, notes: list[str]):
    by_currency = (transactions.group_by("currency").aggregate(revenue=transactions.revenue.sum())
                   .order_by(ibis.desc("revenue")).to_pyarrow().to_pylist())
    if not by_currency:
        return transactions, None
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
    return transactions.filter(transactions.currency == chosen), chosen


def _margin(summary: pa.Table, settings: AnalysisSettings, notes: list[str]) -> float:
    if settings.margin is not None:
        return float(settings.margin)
    revenue = np.nan_to_num(summary.column("revenue").to_numpy(zero_copy_only=False).astype(float))
    margin = summary.column("margin").to_numpy(zero_copy_only=False).astype(float)
    coverage = summary.column("margin_coverage").to_numpy(zero_copy_only=False).astype(float)
    covered = np.nansum(revenue * np.nan_to_num(coverage))
    if revenue.sum() > 0 and covered / revenue.sum() >= 0.5:
        share = float(np.nansum(margin) / covered)
        notes.append(f"CLV uses the store's own margin: {share:.1%} of revenue (costs known for "
                     f"{covered / revenue.sum():.0%} of it).")
        return share
    notes.append("Costs are unknown for most revenue: CLV is a value of revenue (margin 100%); "
                 "give --margin to value margin instead.")
    return 1.0


def _numpy(table: pa.Table, name: str, dtype=float) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(dtype)


def score_customers(summary: pa.Table, settings: AnalysisSettings, margin: float) -> tuple[pa.Table, dict]:
    """Fit the models on the summaries and score every customer (pure NumPy)."""
    x = _numpy(summary, "frequency")
    t_x = _numpy(summary, "recency")
    T = _numpy(summary, "T")
    spend = np.nan_to_num(_numpy(summary, "monetary_value"))
    model_class = MODELS[settings.model]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = model_class().fit(x, t_x, T)
    repeaters = (x > 0) & (spend > 0)
    try:
        spend_model = GammaGamma().fit(x[repeaters], spend[repeaters])
    except ModelError as exc:
        raise PatronError(f"Cannot fit the spend model: {exc}") from exc
    per_month = PERIODS_PER_MONTH[settings.time_unit]
    horizon = settings.horizon_months * per_month
    p_alive = model.probability_alive(x, t_x, T)
    expected = model.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T)
    expected_spend = spend_model.conditional_expected_average_spend(x, spend)
    clv = customer_lifetime_value(model, spend_model, x, t_x, T, spend, horizon=settings.horizon_months,
                                  discount_rate=settings.monthly_discount_rate, margin=margin,
                                  time_unit_per_period=per_month)
    next_in = model.expected_time_to_next_purchase(x, t_x, T)
    revenue = np.nan_to_num(_numpy(summary, "revenue"))
    threshold = np.quantile(revenue[x > 0], settings.at_risk_value_quantile) if (x > 0).any() else np.inf
    at_risk = (x > 0) & (p_alive < settings.at_risk_p_alive) & (revenue >= threshold)
    reasons = np.full(len(x), None, dtype=object)
    unit = settings.time_unit
    for i in np.flatnonzero(at_risk):
        gap = T[i] - t_x[i]
        typical = t_x[i] / x[i] if x[i] else float("nan")
        reasons[i] = f"silent {gap:.0f} {unit}s; bought every {typical:.1f} over {int(x[i]) + 1} purchases"
    scores = pa.table({
        "party_id": summary.column("party_id"),
        "p_alive": p_alive,
        "expected_purchases": expected,
        "expected_spend": expected_spend,
        "clv": clv,
        "next_purchase_in": next_in,
        "at_risk": at_risk,
        "reasons": pa.array(reasons, type=pa.string()),
    })
    diagnostics = {
        "transaction_model": {
            "name": model_class.__name__, "params": model.params_,
            "standard_errors": getattr(model, "standard_errors_", None),
            "log_likelihood": model.log_likelihood_,
            "convergence": _plain(model.convergence_),
        },
        "spend_model": {
            "name": "GammaGamma", "params": spend_model.params_,
            "standard_errors": getattr(spend_model, "standard_errors_", None),
            "log_likelihood": spend_model.log_likelihood_,
            "convergence": _plain(spend_model.convergence_),
            "repeat_customers": int(repeaters.sum()),
        },
        "warnings": [str(w.message) for w in caught],
        "margin": margin,
        "at_risk_revenue_threshold": float(threshold) if np.isfinite(threshold) else None,
    }
    return scores, diagnostics


def _plain(value):
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def analyze(store: Store, settings: AnalysisSettings = AnalysisSettings(),
            progress: Progress | None = None) -> AnalysisResult:
    """Run the value analysis over the whole store and save its scores as a new run."""
    started = time.perf_counter()
    report = progress or (lambda step, fraction: None)
    if settings.model not in MODELS:
        raise PatronError(f"Unknown model '{settings.model}'. Choose one of: {', '.join(MODELS)}.")
    if settings.time_unit not in PERIODS_PER_MONTH:
        raise PatronError(f"Unknown time unit '{settings.time_unit}'. Choose day, week or month.")
    notes: list[str] = []
    report("summaries", 0.05)
    transactions, currency = _choose_currency(store.table("transactions"), settings, notes)
    as_of = _as_of(store, settings, transactions)
    transactions = transactions.filter(transactions.occurred_at <= as_of)
    summary_expr = customer_summary(transactions, time_unit=settings.time_unit, observation_end=as_of)
    summary = summary_expr.to_pyarrow()
    if summary.num_rows == 0:
        raise PatronError("No purchases before the as-of date: nothing to analyse.")
    margin = _margin(summary, settings, notes)
    report("fitting models", 0.3)
    scores, diagnostics = score_customers(summary, settings, margin)
    diagnostics["currency"] = currency
    report("relationship measures", 0.55)
    con = store.ibis
    # Compact per-party results go back to the engine as in-memory tables.
    predicted = store.temp_table("_predicted", scores)
    summary_t = store.temp_table("_summary", summary)
    rfm = rfm_scores(summary_t, monetary="monetary_value")
    ladder = ladder_rung(store, as_of)
    health = health_scorecard(store, as_of)
    triaged = triage(predicted.select("party_id", "clv"), health.select("party_id", "health"),
                     value_column="clv", quality_column="health")
    joined = ladder.select("party_id", "rung", "rung_level")
    joined = _attach(joined, summary_t, [c for c in summary_t.columns if c != "party_id"])
    joined = _attach(joined, predicted, [c for c in predicted.columns if c != "party_id"])
    joined = _attach(joined, rfm, ["r_score", "f_score", "m_score", "segment"])
    joined = _attach(joined, health, ["health", "health_trend"])
    joined = _attach(joined, triaged, ["triage", "value_tier", "quality_tier"])
    report("saving scores", 0.8)
    settings_json = json.dumps(asdict(settings), default=str)
    with store.transaction():
        # The run's id is taken inside the transaction that writes it: on a server, another run waits for it.
        run_id = store.next_id("runs", "run_id")
        row = joined.select(
            run_id=ibis.literal(run_id, "int64"), party_id="party_id", frequency="frequency",
            recency=joined.recency.cast("float64"), t=joined["T"].cast("float64"),
            monetary_value=joined.monetary_value.cast("float64"),
            first_purchase_at="first_purchase_at", last_purchase_at="last_purchase_at", orders="orders",
            revenue=joined.revenue.cast("float64"), margin=joined.margin.cast("float64"),
            p_alive="p_alive", expected_purchases="expected_purchases", expected_spend="expected_spend", clv="clv",
            next_purchase_in="next_purchase_in", r_score=joined.r_score.cast("int32"),
            f_score=joined.f_score.cast("int32"), m_score=joined.m_score.cast("int32"), rfm_segment="segment",
            rung="rung", rung_level=joined.rung_level.cast("int32"), health="health", health_trend="health_trend",
            triage=joined.triage.fill_null("unrated"), value_tier="value_tier", quality_tier="quality_tier",
            at_risk=joined.at_risk.fill_null(False), reasons="reasons",
        )
        store.raw.execute(
            "INSERT INTO runs VALUES (?, 'value', now()::TIMESTAMP, NULL, ?, ?, ?, ?, NULL)",
            [run_id, as_of, store.engine_name, settings_json, json.dumps(_plain(diagnostics), default=str)],
        )
        con.insert("scores", row)
        parties = store.scalar("SELECT count(*) FROM scores WHERE run_id = ?", [run_id])
        store.raw.execute("UPDATE runs SET finished_at = now()::TIMESTAMP, parties = ? WHERE run_id = ?",
                          [parties, run_id])
    report("done", 1.0)
    return AnalysisResult(run_id, settings, as_of, summary.num_rows, parties, diagnostics, notes,
                          time.perf_counter() - started)


def _attach(left, right, columns: list[str]):
    """``left`` with ``columns`` of ``right`` joined on party_id (left join)."""
    r = right.select(_party=right.party_id, **{c: right[c] for c in columns})
    j = left.left_join(r, left.party_id == r._party)
    return j.select(*[j[c] for c in left.columns], *[j[c] for c in columns])


def latest_run(store: Store, run_id: int | None = None) -> int:
    if run_id is not None:
        if not store.scalar("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]):
            raise PatronError(f"There is no analysis run {run_id}.")
        return run_id
    latest = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value'")
    if latest is None:
        raise PatronError("No analysis has been run yet: run patron analyze first.")
    return latest


def ladder_counts(store: Store, run_id: int) -> list[tuple[str, int]]:
    counts = dict(store.query("SELECT rung, count(*) FROM scores WHERE run_id = ? GROUP BY rung", [run_id]))
    return [(rung, counts.get(rung, 0)) for rung in RUNGS]


def triage_table(store: Store, run_id: int) -> list[tuple]:
    scores = store.table("scores").filter(lambda s: s.run_id == run_id)
    matrix = triage_matrix(scores.mutate(value=scores.clv, quality=scores.health))
    return matrix.order_by(["value_tier", "quality_tier"]).to_pyarrow().to_pylist()


def valuable_at_risk(store: Store, run_id: int, limit: int = 20) -> list[dict]:
    rows = store.raw.execute(
        "SELECT s.party_id, coalesce(p.name, i.source_key) AS customer, s.revenue, s.clv, s.p_alive, s.health, "
        "s.rung, s.reasons FROM scores s JOIN parties p USING (party_id) "
        "LEFT JOIN (SELECT party_id, min(source_key) AS source_key FROM identities GROUP BY party_id) i "
        "USING (party_id) WHERE s.run_id = ? AND s.at_risk ORDER BY s.revenue DESC LIMIT ?",
        [run_id, limit],
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r)) for r in rows.fetchall()]
