"""Triage of the customer base into best, average and worst: profitability × relationship quality.

Seed 004: triage customers into best, average and worst, with a plan for each;
the profitability of a relationship must be understood, and so must its quality.
Both sides are measured: *profitability* (a column the caller gives: a
profit-based or margin-based CLV) and *quality* (usually the health total of
:func:`~patron.analytics.health.health_scorecard`).

==============================  =========  ====================================
profitability / quality         group      reason
==============================  =========  ====================================
lost (lapsed, or ``lost``)      worst      the relationship has ended
unprofitable (value ≤ 0 cut)    worst      it costs more than it brings
profitable and strong           best       unless at risk: then average, saying so
profitable but weak             average
strong but marginal             average
marginal and weak               average
==============================  =========  ====================================

*Profitable* means a value at or above ``profitable_min``, *unprofitable* at or
below ``unprofitable_max``, *marginal* in between; *strong* means a quality at
or above ``strong_min``. Left ``None`` (the default), ``profitable_min`` and
``strong_min`` are quantiles of the data's own distribution
(``profitable_quantile``, ``strong_quantile``: the medians by default), taken
over the customers not lost that have a value (a quality); the run says which cut it used
in each customer's reason. Tiers: value ``low`` (unprofitable) / ``mid``
(marginal) / ``high`` (profitable); quality ``low`` (weak) / ``high`` (strong).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import ibis
import ibis.expr.types as ir

from patron.errors import InvalidInput

GROUP_PLANS = {
    "best": "Grow and reward: keep service personal, recognise loyalty, invite referrals and deeper "
            "partnership; protect these relationships first.",
    "average": "Develop and monitor: find the next step up (a second product, a better-fitting "
               "offer, a service fix) and watch for movement either way.",
    "worst": "Fix or let go: repair what can be repaired cheaply, otherwise serve through low-cost "
             "channels and stop spending to retain.",
}


@dataclass(frozen=True)
class TriageRules:
    """Where profitable, unprofitable and strong begin (``docs/ladder.md``, seed 004)."""

    unprofitable_max: float = 0.0
    profitable_min: float | None = None
    profitable_quantile: float = 0.5
    strong_min: float | None = None
    strong_quantile: float = 0.5
    at_risk_can_be_best: bool = False


def triage_rules_from(source: str | Path | dict | None) -> TriageRules:
    """The rules of a TOML file's ``[triage]`` table, defaults for what it omits."""
    if source is None:
        return TriageRules()
    if isinstance(source, dict):
        data, where = source, "the triage rules"
    else:
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("triage", {})
        except FileNotFoundError:
            raise InvalidInput(f"The rules file {path} does not exist.") from None
        except tomllib.TOMLDecodeError as e:
            raise InvalidInput(f"The rules file {path} is not valid TOML: {e}.") from None
        where = f"[triage] of {path}"
    known = {f.name for f in fields(TriageRules)}
    for key, value in data.items():
        if key not in known:
            raise InvalidInput(f"Unknown triage rule '{key}' in {where}. Rules: {', '.join(sorted(known))}.")
        if key == "at_risk_can_be_best":
            if not isinstance(value, bool):
                raise InvalidInput(f"Triage rule '{key}' in {where} must be true or false.")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInput(f"Triage rule '{key}' in {where} must be a number, not {value!r}.")
        elif key.endswith("quantile") and not 0 < value < 1:
            raise InvalidInput(f"Triage rule '{key}' in {where} must be between 0 and 1, not {value}.")
    return TriageRules(**data)


def _num(value: ir.NumericValue) -> ir.StringValue:
    return value.round(2).cast("string")


def triage(
    values: ir.Table,
    quality: ir.Table,
    *,
    value_column: str = "clv",
    quality_column: str = "health",
    value_label: str = "CLV",
    rules: TriageRules = TriageRules(),
    lost: ir.Table | None = None,
    at_risk: ir.Table | None = None,
    group_plans: dict[str, str] = GROUP_PLANS,
    cuts: tuple[float | None, float | None] | None = None,
    carry: tuple[str, ...] = (),
) -> ir.Table:
    """Best / average / worst per party, with the reason and the group's plan.

    Parameters
    ----------
    values
        ``party_id`` and ``value_column`` (a profit or margin CLV).
    quality
        ``party_id`` and ``quality_column`` (the health scorecard); ``values`` itself when that holds the
        column (likewise ``lost`` and ``at_risk``): one wide table is read without joins.
    lost
        Optional ``party_id``, ``lost`` (bool): lost relationships (the
        lapsed of the ladder) are worst whatever their value.
    at_risk
        Optional ``party_id``, ``at_risk`` (bool): at risk is never best
        unless ``rules.at_risk_can_be_best``; the reason says so either way.
    cuts
        The data's quantile cuts ``(value, quality)`` as :func:`triage_cuts` found them (of these rows or of
        others: a value run triages every party against the cuts of the valued ones); ``None``: found here.
    carry
        Columns of ``values`` passed through to the result (a value run reads its rows from it, unjoined).

    Returns
    -------
    ibis.Table
        ``party_id``, ``value``, ``quality``, ``value_tier``, ``quality_tier``,
        ``triage`` (``best``/``average``/``worst``; ``unrated`` when a side is
        missing), ``triage_reason``, ``plan`` and the ``carry`` columns. Every party of ``values`` appears.
    """
    t = _inputs(values, quality, value_column, quality_column, lost, at_risk, carry)
    if cuts is None:  # the cuts joined in: one expression
        t = t.cross_join(_cuts(t, rules))
        found_p, found_s = t._pcut, t._scut
    else:  # literals of the query: the rows are then one projection, not a join with an aggregate
        found_p, found_s = (ibis.literal(c, "float64") for c in cuts)
    pcut = ibis.literal(rules.profitable_min, "float64") if rules.profitable_min is not None else found_p
    # A median at or below the unprofitable cut would leave no marginal band: profitable starts above it.
    pcut = ibis.greatest(pcut, ibis.literal(rules.unprofitable_max, "float64"))
    scut = ibis.literal(rules.strong_min, "float64") if rules.strong_min is not None else found_s
    pwhere = (f"the base's {rules.profitable_quantile:.0%} quantile" if rules.profitable_min is None
              else "the configured cut")
    swhere = f"the base's {rules.strong_quantile:.0%} quantile" if rules.strong_min is None else "the configured cut"

    unprofitable = t.value <= rules.unprofitable_max
    profitable = ~unprofitable & (t.value >= pcut)
    strong = t.quality >= scut
    best_cell = profitable & strong
    best = best_cell & (~t.at_risk if not rules.at_risk_can_be_best else ibis.literal(True))
    unrated = t.value.isnull() | t.quality.isnull()
    group = ibis.cases(
        (t.lost, "worst"),
        (unrated, "unrated"),
        (unprofitable, "worst"),
        (best, "best"),
        else_="average",
    )
    v_text = value_label + " " + _num(t.value)
    q_text = "health " + _num(t.quality)
    p_text = v_text + " ≥ " + _num(pcut) + ", " + pwhere
    m_text = v_text + " below " + _num(pcut) + ", " + pwhere
    s_text = q_text + " ≥ " + _num(scut) + ", " + swhere
    w_text = q_text + " below " + _num(scut) + ", " + swhere
    reason = ibis.cases(
        (t.lost, "worst because: the relationship is lost (lapsed)"),
        (unrated, "unrated because: value or relationship quality is missing"),
        (unprofitable, "worst because: unprofitable (" + v_text + " ≤ " + str(rules.unprofitable_max) + ")"),
        (best_cell & t.at_risk & ~best, "average because: profitable and strong, but at risk, so not best ("
         + p_text + "; " + s_text + ")"),
        (best_cell & t.at_risk, "best because: profitable (" + p_text + ") and strong (" + s_text
         + "), though at risk"),
        (best, "best because: profitable (" + p_text + ") and strong (" + s_text + ")"),
        (profitable, "average because: profitable (" + p_text + ") but weak (" + w_text + ")"),
        (strong, "average because: strong (" + s_text + ") but marginal (" + m_text + ")"),
        else_="average because: marginal (" + m_text + ") and weak (" + w_text + ")",
    )
    value_tier = ibis.cases((t.value.isnull(), ibis.null("string")), (unprofitable, "low"), (profitable, "high"),
                            else_="mid")
    quality_tier = ibis.cases((t.quality.isnull(), ibis.null("string")), (strong, "high"), else_="low")
    plan = ibis.cases(*[(group == g, text) for g, text in group_plans.items()],
                      else_="Measure first: value or relationship quality is missing.")
    return t.select("party_id", "value", "quality", value_tier=value_tier, quality_tier=quality_tier,
                    triage=group, triage_reason=reason, plan=plan, **{c: t[c] for c in carry})


def triage_cuts(values: ir.Table, quality: ir.Table, *, value_column: str = "clv", quality_column: str = "health",
                rules: TriageRules = TriageRules(), lost: ir.Table | None = None, at_risk: ir.Table | None = None
                ) -> tuple[float | None, float | None]:
    """The data's own cuts of :func:`triage` (the value's and the quality's quantiles of the relationships still
    going), run: ``(value cut, quality cut)``, ``None`` for a side with no rated party. Same parameters."""
    found = _cuts(_inputs(values, quality, value_column, quality_column, lost, at_risk, ()), rules)
    row = found.to_pyarrow().to_pylist()[0]
    return row["_pcut"], row["_scut"]


def _inputs(values, quality, value_column, quality_column, lost, at_risk, carry) -> ir.Table:
    """``party_id``, ``value``, ``quality``, ``lost``, ``at_risk`` and the ``carry`` columns, one row per party."""
    # A side given as ``values`` itself is a column of it: no join (a value run passes one wide table).
    inside = {c: values[c] for c, side in (("lost", lost), ("at_risk", at_risk)) if side is values}
    kept = {c: values[c] for c in carry if c not in inside}
    if quality is values:
        t = values.select("party_id", value=values[value_column].cast("float64"),
                          quality=values[quality_column].cast("float64"), **inside, **kept)
    else:
        v = values.select("party_id", value=values[value_column].cast("float64"), **inside, **kept)
        q = quality.select(_qparty=quality.party_id, quality=quality[quality_column].cast("float64"))
        t = v.left_join(q, v.party_id == q._qparty).drop("_qparty")
    for extra, column in ((lost, "lost"), (at_risk, "at_risk")):
        if extra is values:
            t = t.mutate(**{column: t[column].fill_null(False)})
        elif extra is not None:
            e = extra.select(_eparty=extra.party_id, **{column: extra[column]})
            t = t.left_join(e, t.party_id == e._eparty).drop("_eparty")
            t = t.mutate(**{column: t[column].fill_null(False)})
        else:
            t = t.mutate(**{column: ibis.literal(False)})
    return t


def _cuts(t: ir.Table, rules: TriageRules) -> ir.Table:
    """One row: ``_pcut`` and ``_scut``, the quantiles of the value and quality of the parties not lost."""
    # The cuts are quantiles of the relationships still going: the lost would drag the median down.
    live = t.filter(~t.lost)
    rated_v = live.filter(live.value.notnull())
    rated_q = live.filter(live.quality.notnull())
    return rated_v.aggregate(_pcut=rated_v.value.quantile(rules.profitable_quantile)).cross_join(
        rated_q.aggregate(_scut=rated_q.quality.quantile(rules.strong_quantile)))


def triage_matrix(triaged: ir.Table) -> ir.Table:
    """Counts and value per cell of a :func:`triage` result.

    Returns
    -------
    ibis.Table
        ``value_tier``, ``quality_tier``, ``triage``, ``parties``,
        ``total_value``, ``mean_quality``.
    """
    t = triaged
    return t.group_by(["value_tier", "quality_tier", "triage"]).aggregate(
        parties=t.count(), total_value=t.value.sum(), mean_quality=t.quality.mean()
    )
