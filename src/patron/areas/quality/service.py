"""Service quality use cases: feedback instruments with their uncertainty, SERVQUAL gaps, by group and period.

The answers are read from ``feedback``; the statistics are :mod:`patron.models.quality`. Groups come from
the latest value run's ``scores`` (rung, triage group, value tier, RFM segment) and each customer's value
from its CLV there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from patron.areas.quality.instrument import DEFAULT_INSTRUMENT, Instrument
from patron.errors import Conflict, InvalidInput
from patron.models import quality as stats
from patron.service.permissions import User
from patron.store import Store

#: Breakdowns read from the latest run's scores: name -> column.
SCORE_GROUPS = {"rung": "rung", "triage": "triage", "value_tier": "value_tier", "segment": "rfm_segment"}
#: Breakdowns read from the answer itself (migration 15): channel, department, touchpoint (before/during/after).
FEEDBACK_GROUPS = ("channel", "department", "touchpoint")
PERIODS = ("week", "month")
INSTRUMENTS = ("nps", "csat", "ces")


def _latest_run(store: Store) -> int | None:
    return store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value'")


def _window(since: dt.date | None, until: dt.date | None) -> tuple[str, list]:
    sql, params = "", []
    if since is not None:
        sql += " AND f.occurred_at >= ?"
        params.append(dt.datetime.combine(since, dt.time()))
    if until is not None:
        sql += " AND f.occurred_at < ?"
        params.append(dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1))
    return sql, params


def _group_join(store: Store, by: str | None) -> tuple[str, str, list]:
    """The select expression, join and parameters that give each answer its group ``by``."""
    if by is None:
        return "'all'", "", []
    if by in FEEDBACK_GROUPS:  # where the answer's experience happened; value from the latest run, if any
        return (f"coalesce(f.{by}, 'not recorded')",
                "LEFT JOIN scores s ON s.party_id = f.party_id AND s.run_id = ?", [_latest_run(store)])
    if by not in SCORE_GROUPS:
        raise InvalidInput(f"Unknown breakdown '{by}'; choose one of: {', '.join((*SCORE_GROUPS, *FEEDBACK_GROUPS))}.")
    run_id = _latest_run(store)
    if run_id is None:
        raise InvalidInput(f"A breakdown by {by} needs an analysis run: run patron analyze first.")
    return (f"coalesce(s.{SCORE_GROUPS[by]}, 'not scored')",
            "LEFT JOIN scores s ON s.party_id = f.party_id AND s.run_id = ?", [run_id])


def _summary(instrument: str, scores: np.ndarray, scale_max: float | None) -> dict[str, Any]:
    if instrument == "nps":
        r = stats.nps(scores)
        return {"n": r["n"], "score": r["nps"].as_dict(), "promoters": r["promoters"], "passives": r["passives"],
                "detractors": r["detractors"]}
    r = stats.scale_score(scores, scale_max)
    return {"n": int(scores.size), "scale": f"1-{scale_max:g}", "score": r["mean"].as_dict(),
            "top_two_box": r["top_two_box"].as_dict()}


def feedback_report(store: Store, user: User | None, instrument: str, *, by: str | None = None,
                    period: str | None = None, since: dt.date | None = None,
                    until: dt.date | None = None) -> dict[str, Any]:
    """NPS, CSAT or CES over the answers, overall, per group ``by`` and per ``period`` (week or month).

    NPS counts only answers to a genuine NPS question: instrument ``nps`` on the 0-10 scale (a declared scale
    other than 10 is left out and counted). CSAT and CES are reported per declared scale (1..scale_max);
    answers without a scale are left out and counted, never guessed.
    """
    if user is not None:
        user.require("customers.read")
    if instrument not in INSTRUMENTS:
        raise InvalidInput(f"Unknown instrument '{instrument}'; choose one of: {', '.join(INSTRUMENTS)}.")
    if period is not None and period not in PERIODS:
        raise InvalidInput(f"Unknown period '{period}'; choose week or month.")
    group_sql, join_sql, params = _group_join(store, by)
    where, wparams = _window(since, until)
    bucket = f"CAST(date_trunc('{period}', f.occurred_at) AS DATE)" if period else "NULL"
    rows = store.query(
        f"SELECT {group_sql} AS g, {bucket} AS p, f.scale_max, f.score FROM feedback f {join_sql} "
        f"WHERE f.instrument = ? AND f.score IS NOT NULL{where}", params + [instrument] + wparams)
    if instrument == "nps":
        valid = [r for r in rows if r[2] is None or r[2] == 10]
        left_out = {"not on the 0-10 scale": len(rows) - len(valid)}
        scales = [10.0]
    else:
        valid = [r for r in rows if r[2] is not None]
        left_out = {"no declared scale": len(rows) - len(valid)}
        scales = sorted({r[2] for r in valid})
    result: dict[str, Any] = {"instrument": instrument, "by": by, "period": period, "left_out": left_out,
                              "scales": []}
    for scale in scales:
        mine = [r for r in valid if instrument == "nps" or r[2] == scale]
        scores = np.array([r[3] for r in mine], dtype=float)
        entry = {"scale_max": scale, "overall": _summary(instrument, scores, scale), "groups": [], "trend": []}
        for g in sorted({r[0] for r in mine}) if by else ():
            entry["groups"].append({"group": g, **_summary(
                instrument, np.array([r[3] for r in mine if r[0] == g], dtype=float), scale)})
        for p in sorted({r[1] for r in mine}) if period else ():
            entry["trend"].append({"period": p, **_summary(
                instrument, np.array([r[3] for r in mine if r[1] == p], dtype=float), scale)})
        result["scales"].append(entry)
    return result


def _servqual_answers(store: Store, instrument: Instrument, by: str | None, since, until):
    group_sql, join_sql, params = _group_join(store, by)
    value_sql = "coalesce(s.clv, 0)" if by else "0"
    where, wparams = _window(since, until)
    return store.query(
        f"SELECT f.party_id, CAST(f.occurred_at AS DATE) AS d, f.item, f.dimension, f.perception - f.expectation, "
        f"{group_sql} AS g, {value_sql} AS v FROM feedback f {join_sql} "
        f"WHERE f.instrument = 'servqual' AND f.benchmark IS NULL AND f.expectation IS NOT NULL "
        f"AND f.perception IS NOT NULL{where}",
        params + wparams)


def servqual_report(store: Store, user: User | None, *, by: str | None = None, since: dt.date | None = None,
                    until: dt.date | None = None, instrument: Instrument = DEFAULT_INSTRUMENT,
                    importance: dict[str, float] | None = None, n_boot: int = 500, seed: int = 0) -> dict:
    """SERVQUAL gaps (P − E) per item, dimension and overall with bootstrap intervals, and the weighted gap.

    A respondent is one customer's questionnaire (their answers of one day). An answer is matched to the
    instrument by its item code, or else by its dimension. With ``by``, each group's gaps are given too,
    with its customers' value (sum of CLV) and the value-weighted overall gap: where the gap costs most.
    """
    if user is not None:
        user.require("customers.read")
    rows = _servqual_answers(store, instrument, by, since, until)
    dims = instrument.dimensions
    codes = {it.code: k for k, it in enumerate(instrument.items)}
    item_dim = [dims.index(it.dimension) for it in instrument.items]
    # answers whose code is not an item of the instrument are read by dimension, as one extra item per dimension
    extra = {d: len(codes) + k for k, d in enumerate(dims)}
    item_dim_all = item_dim + list(range(len(dims)))
    resp_key: dict[tuple, int] = {}
    resp, item, gap, group, value, unmatched = [], [], [], [], [], 0
    for party, day, code, dim, g, grp, v in rows:
        k = codes.get(code)
        if k is None:
            if dim not in extra:
                unmatched += 1
                continue
            k = extra[dim]
        resp.append(resp_key.setdefault((party, day), len(resp_key)))
        item.append(k)
        gap.append(g)
        group.append(grp)
        value.append(v)
    if not resp:
        raise Conflict("There are no SERVQUAL answers with both an expectation and a perception.")
    weights = importance or instrument.importance
    w = [float(weights.get(d, 0.0)) for d in dims]
    result = stats.servqual_gaps(resp, item, gap, item_dim_all, dims, weights=w, n_boot=n_boot, seed=seed)
    labels = [it.code for it in instrument.items] + [f"{d} (other items)" for d in dims]
    wording = [it.wording for it in instrument.items] + [""] * len(dims)
    result["items"] = [dict(r, code=labels[r["item"]], wording=wording[r["item"]]) for r in result["items"]
                       if r["n"] > 0]
    result["unmatched_answers"] = unmatched
    result["by"] = by
    result["groups"] = []
    if by:
        resp_a, item_a, gap_a = np.array(resp), np.array(item), np.array(gap)
        group_a, value_a = np.array(group, dtype=object), np.array(value, dtype=float)
        for g in sorted(set(group)):
            m = group_a == g
            ids, inverse = np.unique(resp_a[m], return_inverse=True)
            sub = stats.servqual_gaps(inverse, item_a[m], gap_a[m], item_dim_all, dims, weights=w,
                                      n_boot=max(n_boot // 5, 100), seed=seed)
            # the value-weighted gap: each respondent's mean gap weighted by their customer's value
            per_resp = np.bincount(inverse, weights=gap_a[m]) / np.bincount(inverse)
            resp_value = np.zeros(len(ids))
            resp_value[inverse] = value_a[m]
            total = float(resp_value.sum())
            weighted = float(per_resp @ resp_value / total) if total > 0 else float("nan")
            result["groups"].append({
                "group": g, "respondents": int(len(ids)), "dimensions": sub["dimensions"],
                "overall": sub["overall"], "value": total, "value_weighted_gap": weighted,
                "value_at_stake": total * max(-weighted, 0.0) if total > 0 else 0.0})
        result["groups"].sort(key=lambda r: -r["value_at_stake"])
    return result


def plain(value):
    """A report as JSON can carry it: non-finite numbers (an undefined median, an empty interval) become None."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return plain(value.item())
    return value


DRIVER_LEVELS = ("dimension", "item")


def _driver_rows(store: Store, target: str, level: str, by: str | None):
    """(group, questionnaire key, driver, mean perception, target) rows: one per customer, day and driver,
    with the customer's ``target`` answers of that day (the questionnaire's overall question) or, when they gave
    none that day, their mean answer. The target is on its scale's share (score / scale_max)."""
    group_sql, join, params = _group_join(store, by)
    driver = "f.dimension" if level == "dimension" else "f.item"
    return store.query(
        "WITH d AS (SELECT party_id, CAST(occurred_at AS DATE) AS d, avg(score / coalesce(scale_max, 10)) AS y "
        "FROM feedback WHERE instrument = ? AND score IS NOT NULL GROUP BY party_id, CAST(occurred_at AS DATE)), "
        "a AS (SELECT party_id, avg(y) AS y FROM d GROUP BY party_id), "
        f"x AS (SELECT {group_sql} AS g, f.party_id, CAST(f.occurred_at AS DATE) AS d, {driver} AS k, "
        f"avg(f.perception) AS p FROM feedback f {join} WHERE f.instrument = 'servqual' AND f.benchmark IS NULL "
        f"AND f.perception IS NOT NULL AND {driver} IS NOT NULL "
        f"GROUP BY {'' if by is None else group_sql + ', '}f.party_id, CAST(f.occurred_at AS DATE), {driver}) "
        "SELECT x.g, x.party_id, x.d, x.k, x.p, coalesce(d.y, a.y) FROM x JOIN a ON a.party_id = x.party_id "
        "LEFT JOIN d ON d.party_id = x.party_id AND d.d = x.d", [target, *params])


#: How the drivers' importance is found: Johnson's relative weights (any number of drivers) or the Shapley
#: decomposition of R² (LMG: every order of entry, so up to ``SHAPLEY_MAX_DRIVERS`` drivers, the dimensions).
DRIVER_METHODS = ("relative_weights", "shapley")


def _drivers(names: list[str], table: dict, n_boot: int, seed: int, target: str,
             method: str = "relative_weights") -> dict:
    complete = [r for r in table.values() if all(k in r for k in names)]
    if len(complete) < 3 * len(names):
        raise Conflict(f"Drivers need at least {3 * len(names)} SERVQUAL questionnaires from customers who also "
                           f"answered {target.upper()}; there are {len(complete)}.")
    x = np.array([[r[k] for k in names] for r in complete])
    y = np.array([r["y"] for r in complete])
    rw = (stats.shapley_r2_ci if method == "shapley" else stats.relative_weights_ci)(x, y, n_boot=n_boot, seed=seed)
    total = rw["r2"] or 1.0
    performance = x.mean(axis=0)
    weights = np.asarray(rw["weights"], float)
    rows = [{"driver": k, "weight": float(weights[j]), "low": float(rw["low"][j]), "high": float(rw["high"][j]),
             "share_of_r2": float(weights[j] / total), "performance": float(performance[j]),
             # the importance x performance grid: above or below the mean weight and the mean perception
             "quadrant": ("keep it up" if performance[j] >= performance.mean() else "concentrate here")
             if weights[j] >= weights.mean() else
             ("possible overkill" if performance[j] >= performance.mean() else "low priority")}
            for j, k in enumerate(names)]
    return {"respondents": len(complete), "r2": rw["r2"], "method": method,
            "drivers": sorted(rows, key=lambda r: -r["weight"])}


def drivers_report(store: Store, user: User | None, *, target: str = "nps", level: str = "dimension",
                   by: str | None = None, n_boot: int = 300, seed: int = 0,
                   method: str = "relative_weights") -> dict:
    """Which SERVQUAL dimensions (or items, ``level="item"``) drive ``target`` (the NPS or CSAT answer given
    with the questionnaire, on its scale's share): Johnson's relative weights of the perceptions (or, with
    ``method="shapley"``, the Shapley decomposition of R²; see :data:`DRIVER_METHODS`), with bootstrap
    intervals, and the importance × performance grid (weight against mean perception, each driver's quadrant).

    With ``by`` (``value_tier``, ``triage``, ``rung``, ``segment``; or ``channel``…), the same for each group
    that has enough questionnaires (``groups``; the others are named in ``too_few``)."""
    if user is not None:
        user.require("customers.read")
    if target not in ("nps", "csat"):
        raise InvalidInput("Drivers are found for nps or csat.")
    if level not in DRIVER_LEVELS:
        raise InvalidInput(f"Drivers are found per {' or per '.join(DRIVER_LEVELS)}, not per '{level}'.")
    if method not in DRIVER_METHODS:
        raise InvalidInput(f"Drivers are found by {' or '.join(DRIVER_METHODS)}, not '{method}'.")
    names = list(DEFAULT_INSTRUMENT.dimensions if level == "dimension"
                 else (it.code for it in DEFAULT_INSTRUMENT.items))
    tables: dict[str, dict[tuple, dict]] = {}
    for g, party, day, k, p, y in _driver_rows(store, target, level, by):
        tables.setdefault(g, {}).setdefault((party, day), {"y": y})[k] = p
    if by is None:
        out = _drivers(names, tables.get("all", {}), n_boot, seed, target, method)
        out = {"target": target, "level": level, **out}
        if level == "dimension":  # the name the pages and the API have used
            for r in out["drivers"]:
                r["dimension"] = r["driver"]
        return out
    groups, too_few = [], []
    for g in sorted(tables):
        try:
            groups.append({"group": g, **_drivers(names, tables[g], n_boot, seed, target, method)})
        except Conflict:
            too_few.append(g)
    return {"target": target, "level": level, "by": by, "groups": groups, "too_few": too_few}


def convert_wide_survey(path, out) -> dict:
    """A survey tool's wide export written in the long layout the ``survey-long`` preset imports
    (:mod:`patron.ingest.survey_layouts`)."""
    from patron.ingest.survey_layouts import convert_wide_file

    return convert_wide_file(path, out)


#: Instruments that are not a score question: each has its own report. A field visit is not a kind of question
#: but a way of listening: whatever was asked on it (a CSAT score, SERVQUAL perceptions, a suggestion) is
#: recorded with ``channel = 'field_visit'``, and its report reads those answers.
LISTENING_INSTRUMENTS = ("panel", "mystery_shopper", "suggestion", "field_visit", "review")
FIELD_VISIT = "field_visit"


def instrument_report(store: Store, user: User | None, instrument: str, *, since: dt.date | None = None,
                      until: dt.date | None = None) -> dict[str, Any]:
    """A panel, mystery-shopper, suggestion-scheme, field-visit or review report: answers and respondents by
    month, the mean score per declared scale with its SE, perception per SERVQUAL dimension for us and for each
    benchmark (a mystery shopper's visit to a competitor is recorded with its ``benchmark``), and the latest
    texts. A field visit's report also counts the visits (a customer on a day) and the answers per question kind."""
    if user is not None:
        user.require("customers.read")
    if instrument not in LISTENING_INSTRUMENTS:
        raise InvalidInput(f"Unknown instrument '{instrument}'; the listening instruments are "
                           f"{', '.join(LISTENING_INSTRUMENTS)}.")
    where, params = _window(since, until)
    which = "f.channel = ?" if instrument == FIELD_VISIT else "f.instrument = ?"
    rows = store.records(
        "SELECT f.party_id, f.occurred_at, f.instrument, f.score, f.scale_max, f.dimension, f.perception, "
        f"f.benchmark, f.text, f.channel, f.touchpoint FROM feedback f WHERE {which}{where} "
        "ORDER BY f.occurred_at, f.feedback_id", [instrument, *params])
    scored = [r["scale_max"] for r in rows if r["score"] is not None and r["scale_max"] is not None]
    main_scale = max(set(scored), key=scored.count) if scored else None  # the scale most answers are on
    months: dict = {}
    for r in rows:
        m = months.setdefault(r["occurred_at"].strftime("%Y-%m"), {"answers": 0, "respondents": set(), "scores": []})
        m["answers"] += 1
        m["respondents"].add(r["party_id"])
        if r["score"] is not None and r["scale_max"] == main_scale:
            m["scores"].append(r["score"])
    scales = []
    for top in sorted({r["scale_max"] for r in rows if r["score"] is not None and r["scale_max"] is not None}):
        s = np.array([r["score"] for r in rows if r["score"] is not None and r["scale_max"] == top], dtype=float)
        scales.append({"scale_max": top, **stats.scale_score(s, top)["mean"].as_dict()})
    dims: dict = {}
    for r in rows:
        if r["dimension"] and r["perception"] is not None:
            dims.setdefault((r["benchmark"] or "us", r["dimension"]), []).append(r["perception"])
    extra = {}
    if instrument == FIELD_VISIT:
        kinds: dict[str, int] = {}
        for r in rows:
            kinds[r["instrument"]] = kinds.get(r["instrument"], 0) + 1
        extra = {"visits": len({(r["party_id"], r["occurred_at"].date()) for r in rows}),
                 "by_instrument": [{"instrument": k, "answers": v} for k, v in sorted(kinds.items())]}
    return {"instrument": instrument, **extra, "answers": len(rows),
            "respondents": len({r["party_id"] for r in rows}),
            "unscaled_scores": sum(1 for r in rows if r["score"] is not None and r["scale_max"] is None),
            "main_scale": main_scale,  # the month's mean score is on it (None without scored answers)
            "by_month": [{"month": k, "answers": v["answers"], "respondents": len(v["respondents"]),
                          "mean_score": float(np.mean(v["scores"])) if v["scores"] else None}
                         for k, v in sorted(months.items())],
            "scores": scales,
            "perception": [{"of": who, "dimension": d, **stats.mean_estimate(np.array(v, dtype=float)).as_dict()}
                           for (who, d), v in sorted(dims.items())],
            "texts": [{"at": r["occurred_at"], "text": r["text"], "benchmark": r["benchmark"],
                       "channel": r["channel"], "touchpoint": r["touchpoint"]} for r in rows if r["text"]][-20:][::-1]}
