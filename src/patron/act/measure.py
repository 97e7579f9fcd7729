"""What a campaign changed: response, revenue and CLV change of the treated against the control (and the global
holdout), overall and by rung, segment or triage group; the uplift and Qini curves; before/after a change date.

Definitions (``docs/measure.md``): a member *responded* when they have at least one ``order`` transaction in
the window of ``window_days`` days from their assignment; *revenue* is the sum of their transactions' revenue
in that window (refunds count negative); *CLV change* is their CLV in the first value run whose data end
after the window, minus their CLV in the last run whose data end before the assignment, when both exist.
Every comparison is treated minus control (see :mod:`patron.models.uplift` for the interval methods).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np

from patron.errors import InvalidInput, NotFound
from patron.models import uplift
from patron.store import Store

WINDOW_DAYS = 56
BREAKDOWNS = {"rung": "rung", "segment": "rfm_segment", "triage": "triage"}
FEATURES = ("frequency", "recency", "t", "monetary_value", "p_alive", "expected_purchases", "clv", "health")
MIN_GROUP = 30  # members per arm below which a group's uplift is not reported


def _campaign(store: Store, campaign_id: int) -> dict:
    rows = store.records("SELECT campaign_id, playbook_id, name, channel, purpose, status, launched_at, "
                         "control_share FROM campaigns WHERE campaign_id = ?", [int(campaign_id)])
    if not rows:
        raise NotFound(f"There is no campaign {campaign_id}.")
    return rows[0]


def member_outcomes(store: Store, campaign_ids: list[int], window_days: int = WINDOW_DAYS) -> dict:
    """Per member of the campaigns: party, arm, assignment time, responded, revenue in the window (arrays)."""
    if not 1 <= int(window_days) <= 730:
        raise InvalidInput(f"The response window is 1 to 730 days, not {window_days}.")
    marks = ", ".join("?" for _ in campaign_ids)
    members = store.query(f"SELECT party_id, arm, assigned_at FROM campaign_members WHERE campaign_id IN ({marks}) "
                          "ORDER BY party_id, assigned_at", [int(c) for c in campaign_ids])
    party = np.array([m[0] for m in members], dtype=np.int64)
    arm = np.array([m[1] for m in members], dtype=object)
    assigned = np.array([m[2] for m in members], dtype="datetime64[us]")
    responded = np.zeros(len(members), dtype=bool)
    revenue = np.zeros(len(members))
    if len(members):
        window = np.timedelta64(int(window_days), "D")
        # One pass over the members' transactions between the first assignment and the last window's end.
        rows = store.query(
            "SELECT t.party_id, t.occurred_at, t.kind, t.revenue FROM transactions t "
            f"JOIN (SELECT DISTINCT party_id FROM campaign_members WHERE campaign_id IN ({marks})) m "
            "ON m.party_id = t.party_id WHERE t.occurred_at >= ? AND t.occurred_at < ?",
            [*[int(c) for c in campaign_ids], assigned.min().astype(dt.datetime),
             (assigned.max() + window).astype(dt.datetime)])
        if rows:
            t_party = np.array([r[0] for r in rows], dtype=np.int64)
            t_when = np.array([r[1] for r in rows], dtype="datetime64[us]")
            t_order = np.array([r[2] == "order" for r in rows])
            t_rev = np.array([float(r[3]) for r in rows])
            # Members sorted by party: each transaction finds its member rows by searchsorted.
            lo = np.searchsorted(party, t_party, side="left")
            hi = np.searchsorted(party, t_party, side="right")
            for k in range(int((hi - lo).max(initial=0))):  # a party in several campaigns: a few passes
                idx = lo + k
                ok = idx < hi
                idx, when, order, rev = idx[ok], t_when[ok], t_order[ok], t_rev[ok]
                inside = (when >= assigned[idx]) & (when < assigned[idx] + window)
                np.add.at(revenue, idx[inside], rev[inside])
                responded[idx[inside & order]] = True
    return {"party_id": party, "arm": arm, "assigned_at": assigned, "responded": responded, "revenue": revenue}


def _run_around(store: Store, before: dt.datetime, after: dt.datetime) -> tuple[int | None, int | None]:
    """The last sound value run on data up to ``before``, and the first on data from ``after``."""
    ok = "kind = 'value' AND (status IS NULL OR status IN ('current', 'kept'))"
    run_before = store.scalar(f"SELECT max(run_id) FROM runs WHERE {ok} AND as_of <= ?", [before])
    run_after = store.scalar(f"SELECT min(run_id) FROM runs WHERE {ok} AND as_of >= ?", [after])
    return run_before, run_after


def _scores(store: Store, run_id: int, columns: tuple[str, ...]) -> dict[int, tuple]:
    cols = ", ".join(columns)
    return {r[0]: r[1:] for r in store.query(f"SELECT party_id, {cols} FROM scores WHERE run_id = ?", [run_id])}


def _compare(outcomes: dict, sel_t: np.ndarray, sel_c: np.ndarray, seed: int, clv: np.ndarray | None) -> dict:
    y, rev = outcomes["responded"], outcomes["revenue"]
    out = {
        "response": uplift.difference_of_proportions(int(y[sel_t].sum()), int(sel_t.sum()),
                                                     int(y[sel_c].sum()), int(sel_c.sum())).as_dict(),
        "revenue": uplift.difference_of_means(rev[sel_t], rev[sel_c], seed=seed).as_dict(),
    }
    if clv is not None:
        known = ~np.isnan(clv)
        out["clv_change"] = uplift.difference_of_means(clv[sel_t & known], clv[sel_c & known], seed=seed).as_dict()
    return out


def results_of(store: Store, campaign_ids: list[int], *, window_days: int = WINDOW_DAYS, run_id: int | None = None,
               by: str | None = None, groups: Mapping[int, str] | None = None, seed: int = 0) -> dict:
    """Treated against control (and against the global holdout) for the members of ``campaign_ids``."""
    o = member_outcomes(store, campaign_ids, window_days)
    arm = o["arm"]
    treated, control, holdout = arm == "treated", arm == "control", arm == "holdout"
    notes = []
    if not len(arm):
        raise InvalidInput("The campaign has no members yet: launch it before measuring it.")
    first = o["assigned_at"].min().astype(dt.datetime)
    window_end = (o["assigned_at"].max() + np.timedelta64(int(window_days), "D")).astype(dt.datetime)
    last_data = store.scalar("SELECT max(occurred_at) FROM transactions")
    if last_data is None or last_data < window_end:
        notes.append(f"The response window ends on {window_end:%Y-%m-%d}, after the newest transaction "
                     f"({last_data:%Y-%m-%d} if any): responses may still come in." if last_data else
                     "There are no transactions yet: nobody can have responded.")
    run_before, run_after = _run_around(store, first, window_end)
    clv = None
    if run_before and run_after and run_before != run_after:
        s0, s1 = _scores(store, run_before, ("clv",)), _scores(store, run_after, ("clv",))
        clv = np.array([(s1[p][0] - s0[p][0]) if p in s0 and p in s1 and s0[p][0] is not None
                        and s1[p][0] is not None else np.nan for p in o["party_id"]], dtype=float)
    else:
        notes.append("CLV change needs an analysis run on data before the campaign and one on data after its "
                     "window" + ("" if run_before else " (there is none before)")
                     + ("" if run_after else " (there is none after)") + "; it is not shown.")
    result = {
        "campaign_ids": [int(c) for c in campaign_ids], "window_days": int(window_days),
        "members": {"treated": int(treated.sum()), "control": int(control.sum()), "holdout": int(holdout.sum()),
                    "excluded": int((arm == "excluded").sum())},
        "run_before": run_before, "run_after": run_after,
        "treated_vs_control": _compare(o, treated, control, seed, clv),
        "treated_vs_holdout": _compare(o, treated, holdout, seed, clv) if holdout.any() else None,
        "notes": notes,
    }
    if not control.any():
        notes.append("The campaign has no control group: its uplift cannot be measured.")
    # Curves over a score known before the campaign: the predicted CLV of the run before (who did we expect
    # to be worth most), so that the page shows whether value predicted response uplift.
    ranked = treated | control
    if run_before:
        value = _scores(store, run_before, ("clv",))
        score = np.array([value.get(p, (np.nan,))[0] or np.nan for p in o["party_id"]], dtype=float)
        score = np.where(np.isnan(score), -np.inf, score)
        result["curves"] = curves(o["responded"][ranked], score[ranked], treated[ranked], label="predicted CLV")
    if by or groups is not None:
        result["by"] = by or "group"
        result["groups"] = breakdown(store, o, by=by, groups=groups, run_id=run_id or run_before, seed=seed,
                                     clv=clv)
    return result


def curves(y, score, treatment, *, label: str, points: int = 50) -> dict:
    """Uplift and Qini curves on at most ``points`` points, with their normalised areas."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment).astype(int)
    xq, q = uplift.qini_curve(y, score, t)
    xu, u = uplift.uplift_curve(y, score, t)
    n = max(len(y), 1)

    def thin(x, v):
        keep = np.unique(np.linspace(0, len(x) - 1, min(points, len(x))).round().astype(int))
        return [{"share": float(x[i] / n), "value": float(v[i])} for i in keep]

    qini = uplift.qini_coefficient(y, score, t)
    auuc = uplift.auuc(y, score, t)
    return {"score": label, "qini": None if np.isnan(qini) else qini, "auuc": None if np.isnan(auuc) else auuc,
            "qini_curve": thin(xq, q), "uplift_curve": thin(xu, u)}


def breakdown(store: Store, outcomes: dict, *, by: str | None, groups: Mapping[int, str] | None, run_id: int | None,
              seed: int = 0, clv: np.ndarray | None = None) -> list[dict]:
    """Treated against control within each group; largest uplift of the response first."""
    party = outcomes["party_id"]
    if groups is None:
        if by not in BREAKDOWNS:
            raise InvalidInput(f"Results break down by {', '.join(BREAKDOWNS)}, not {by!r}.")
        if run_id is None:
            raise InvalidInput(f"Breaking results down by {by} needs an analysis run from before the campaign.")
        found = _scores(store, int(run_id), (BREAKDOWNS[by],))
        groups = {p: v[0] for p, v in found.items()}
    label = np.array([groups.get(int(p)) or "(none)" for p in party], dtype=object)
    arm = outcomes["arm"]
    rows = []
    for g in sorted(set(label)):
        sel = label == g
        t, c = sel & (arm == "treated"), sel & (arm == "control")
        row = {"group": g, "treated": int(t.sum()), "control": int(c.sum())}
        if min(row["treated"], row["control"]) >= MIN_GROUP:
            row.update(_compare(outcomes, t, c, seed, clv))
        else:
            row["note"] = f"fewer than {MIN_GROUP} members in an arm: not measured"
        rows.append(row)
    rows.sort(key=lambda r: -(r["response"]["estimate"] if "response" in r else -np.inf))
    return rows


def campaign_results(store: Store, campaign_id: int, *, window_days: int = WINDOW_DAYS, run_id: int | None = None,
                     by: str | None = None, groups: Mapping[int, str] | None = None, seed: int = 0) -> dict:
    """The measured response of one campaign (see the module's definitions)."""
    campaign = _campaign(store, campaign_id)
    result = results_of(store, [int(campaign_id)], window_days=window_days, run_id=run_id, by=by, groups=groups,
                        seed=seed)
    return {"campaign": campaign, **result}


def playbook_results(store: Store, playbook_id: int, *, window_days: int = WINDOW_DAYS, by: str | None = None,
                     seed: int = 0) -> dict:
    """All campaigns of a playbook measured together (their members pooled)."""
    ids = [r[0] for r in store.query("SELECT campaign_id FROM campaigns WHERE playbook_id = ? ORDER BY campaign_id",
                                     [int(playbook_id)])]
    if not ids:
        raise NotFound(f"Playbook {playbook_id} has no campaigns to measure.")
    return {"playbook_id": int(playbook_id),
            **results_of(store, ids, window_days=window_days, by=by, seed=seed)}


def uplift_suggestions(store: Store, campaign_id: int, *, window_days: int = WINDOW_DAYS, method: str = "two_model",
                       seed: int = 0, run_id: int | None = None) -> dict:
    """Train an uplift model on the campaign's treated and control (features from the run before it), report its
    Qini on held-out members, and score every party of that run: whom to target next time, best first."""
    _campaign(store, campaign_id)
    o = member_outcomes(store, [int(campaign_id)], window_days)
    if not len(o["arm"]):
        raise InvalidInput("The campaign has no members yet: launch it before modelling its response.")
    if run_id is None:
        first = o["assigned_at"].min().astype(dt.datetime)
        run_id, _ = _run_around(store, first, first)
    if run_id is None:
        raise InvalidInput("The uplift model learns from an analysis run made before the campaign; there is none.")
    scores = _scores(store, int(run_id), FEATURES)
    sel = np.isin(o["arm"], ("treated", "control")) & np.array([p in scores for p in o["party_id"]], dtype=bool)
    x = np.array([scores[p] for p in o["party_id"][sel]], dtype=float)
    x = np.where(np.isnan(x), 0.0, x)
    y = o["responded"][sel]
    t = o["arm"][sel] == "treated"
    evaluation = uplift.evaluate_uplift_model(x, y, t, method=method, seed=seed)
    everyone = np.array(list(scores), dtype=np.int64)
    features = np.array([scores[p] for p in everyone], dtype=float)
    predicted = evaluation["model"].predict(np.where(np.isnan(features), 0.0, features))
    order = np.argsort(-predicted, kind="stable")
    return {
        "campaign_id": int(campaign_id), "run_id": int(run_id), "method": method, "features": list(FEATURES),
        "train": evaluation["train"], "held_out": evaluation["held_out"], "qini_held_out": evaluation["qini"],
        "auuc_held_out": evaluation["auuc"], "qini_random_mean": evaluation["qini_random_mean"],
        "qini_random_sd": evaluation["qini_random_sd"],
        "suggestions": [{"party_id": int(everyone[i]), "predicted_uplift": float(predicted[i])} for i in order],
    }


def before_after(store: Store, change_date: dt.datetime, treated: list[int], control: list[int], *,
                 weeks: int = 26, seed: int = 0) -> dict:
    """Revenue per party and week of two groups, ``weeks`` before and after ``change_date``.

    The difference in differences ``(T_after − T_before) − (C_after − C_before)`` is given with two intervals:

    - ``estimate``/``low``/``high``: a BCa bootstrap over the parties (each party's own change, after minus
      before, of the changed group against the control's: :func:`patron.models.uplift.difference_of_means`).
      Parties are what is sampled, so a party's weeks stay together: this is the interval to read.
    - ``by_week``: a Welch t interval over the weekly gaps (:func:`patron.models.uplift.difference_in_differences`),
      which treats the weeks as independent; it is shown for comparison and is too narrow when weeks correlate.

    Both assume the two groups would have moved in parallel without the change (the control series shows it
    before the date: ``pre_trend_gap`` is the slope of the weekly gap before the change, per week).
    """
    if not treated or not control:
        raise InvalidInput("Before/after needs parties in both the changed group and the control group.")
    if set(treated) & set(control):
        raise InvalidInput("A party cannot be in both the changed group and the control group.")
    if not 2 <= int(weeks) <= 260:
        raise InvalidInput(f"Before/after looks 2 to 260 weeks each side, not {weeks}.")
    weeks = int(weeks)
    start = change_date - dt.timedelta(weeks=weeks)
    end = change_date + dt.timedelta(weeks=weeks)
    rows = store.query("SELECT party_id, occurred_at, revenue FROM transactions WHERE occurred_at >= ? "
                       "AND occurred_at < ? AND revenue IS NOT NULL", [start, end])
    ids_t, ids_c = sorted({int(p) for p in treated}), sorted({int(p) for p in control})
    index = {pid: i for i, pid in enumerate(ids_t)} | {pid: len(ids_t) + i for i, pid in enumerate(ids_c)}
    n_t = len(ids_t)
    series = np.zeros((2, 2 * weeks))
    sides = np.zeros((len(index), 2))  # each party's revenue before and after
    for party, when, revenue in rows:
        i = index.get(int(party))
        if i is None:
            continue
        week = int((when - start).total_seconds() // (7 * 86400))
        series[0 if i < n_t else 1, week] += float(revenue)
        sides[i, 1 if week >= weeks else 0] += float(revenue)
    series[0] /= n_t
    series[1] /= len(ids_c)
    after = np.arange(2 * weeks) >= weeks
    by_week = uplift.difference_in_differences(series[0], series[1], after)
    change = (sides[:, 1] - sides[:, 0]) / weeks  # per party and week
    by_party = uplift.difference_of_means(change[:n_t], change[n_t:], seed=seed).as_dict()
    gap = series[0, :weeks] - series[1, :weeks]
    pre_trend = float(np.polyfit(np.arange(weeks), gap, 1)[0]) if weeks >= 3 else float("nan")
    return {
        "estimate": by_party["estimate"], "low": by_party["low"], "high": by_party["high"],
        "level": by_party["level"], "method": f"difference in differences; interval: {by_party['method']} "
                                              "over the parties' own changes",
        "by_week": {k: by_week[k] for k in ("estimate", "low", "high", "se", "level", "method")},
        "treated_before": by_week["treated_before"], "treated_after": by_week["treated_after"],
        "control_before": by_week["control_before"], "control_after": by_week["control_after"],
        "naive_change": by_week["naive_change"], "pre_trend_gap": pre_trend,
        "change_date": change_date.isoformat(), "weeks": weeks, "treated_parties": n_t,
        "control_parties": len(ids_c), "unit": "revenue per party and week",
        "week_starts": [(start + dt.timedelta(weeks=w)).date().isoformat() for w in range(2 * weeks)],
        "treated_series": series[0].tolist(), "control_series": series[1].tolist(),
    }
