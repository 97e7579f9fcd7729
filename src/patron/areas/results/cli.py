"""``patron results``: a campaign's measured response, its uplift model, and before/after a change date."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store

commands = typer.Typer()
results_app = typer.Typer(help="What campaigns changed, measured against their control groups.",
                          no_args_is_help=True)
commands.add_typer(results_app, name="results")


def _interval(d: dict | None, fmt: str) -> tuple[str, str]:
    if not d or d.get("estimate") is None:
        return "–", "–"
    low = "–" if d.get("low") is None else format(d["low"], fmt)
    high = "–" if d.get("high") is None else format(d["high"], fmt)
    return format(d["estimate"], fmt), f"{low} to {high}"


@results_app.command("campaign")
def campaign(
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    by: Annotated[str | None, typer.Option(help="Break down by rung, segment or triage.")] = None,
    window_days: Annotated[int, typer.Option(help="Days after assignment in which an order counts.")] = 56,
    store: StoreOption = None,
) -> None:
    """Response, revenue and CLV change of the treated against the control, with 95% intervals."""
    from patron.areas.results.service import campaign_results

    with open_store(store, read_only=True) as s:
        r = campaign_results(s, None, campaign_id, window_days=window_days, by=by)
    m = r["members"]
    console.print(f"{r['campaign']['name']}: {m['treated']:,} treated, {m['control']:,} control, "
                  f"{m['holdout']:,} holdout, {m['excluded']:,} excluded; response window {r['window_days']} days")
    t = Table(title="treated − control")
    for col in ("measure", "treated", "control", "difference", "95% interval", "method"):
        t.add_column(col)
    for name, key, fmt in (("response rate", "response", "+.2%"), ("revenue per member", "revenue", "+,.2f"),
                           ("CLV change per member", "clv_change", "+,.2f")):
        d = r["treated_vs_control"].get(key)
        if d:
            plain = fmt.lstrip("+")
            est, ci = _interval(d, fmt)
            t.add_row(name, "–" if d["treated"] is None else format(d["treated"], plain),
                      "–" if d["control"] is None else format(d["control"], plain), est, ci, d["method"])
    console.print(t)
    if r.get("treated_vs_holdout"):
        est, ci = _interval(r["treated_vs_holdout"]["response"], "+.2%")
        console.print(f"against the global holdout: response {est} ({ci})")
    if r.get("curves"):
        c = r["curves"]
        console.print(f"ranked by {c['score']}: Qini {c['qini']}, AUUC {c['auuc']} (0 random, 1 perfect)")
    for g in r.get("groups") or []:
        est, ci = _interval(g.get("response"), "+.2%")
        console.print(f"  {r['by']} {g['group']}: {g['treated']:,} treated, {g['control']:,} control, "
                      f"response uplift {est} ({ci}){'  ' + g['note'] if g.get('note') else ''}")
    for n in r["notes"]:
        console.print(f"[yellow]{n}[/]")


@results_app.command("uplift-model")
def uplift_model(
    campaign_id: Annotated[int, typer.Argument(help="The campaign to learn from.")],
    method: Annotated[str, typer.Option(help="two_model or class_transformation.")] = "two_model",
    out: Annotated[Path | None, typer.Option(help="Write every party's predicted uplift to this CSV.")] = None,
    top: Annotated[int, typer.Option(help="Parties to print, best first.")] = 10,
    store: StoreOption = None,
) -> None:
    """Train an uplift model on the campaign, print its Qini on held-out members, and suggest whom to target."""
    from patron.areas.results.service import uplift_suggestions

    with open_store(store, read_only=True) as s:
        r = uplift_suggestions(s, None, campaign_id, method=method)
    console.print(f"{r['method']} on {r['train']:,} members, evaluated on {r['held_out']:,} held out: "
                  f"Qini {r['qini_held_out']:.3f}, AUUC {r['auuc_held_out']:.3f} "
                  f"(random targeting: {r['qini_random_mean']:.3f} ± {r['qini_random_sd']:.3f})")
    for row in r["suggestions"][:top]:
        console.print(f"  party {row['party_id']}: predicted uplift {row['predicted_uplift']:+.3f}")
    if out:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["party_id", "predicted_uplift"])
            w.writeheader()
            w.writerows(r["suggestions"])
        console.print(f"{len(r['suggestions']):,} suggestions written to {out}")


@results_app.command("before-after")
def before_after(
    date: Annotated[str, typer.Option("--date", help="The change date, YYYY-MM-DD.")],
    treated_segment: Annotated[str | None, typer.Option(help="Changed group: this RFM segment.")] = None,
    treated_rung: Annotated[str | None, typer.Option(help="Changed group: this rung.")] = None,
    treated_campaign: Annotated[int | None, typer.Option(help="Changed group: this campaign's treated.")] = None,
    control_segment: Annotated[str | None, typer.Option(help="Control group: this RFM segment.")] = None,
    control_rung: Annotated[str | None, typer.Option(help="Control group: this rung.")] = None,
    control_campaign: Annotated[int | None, typer.Option(help="Control group: this campaign's control.")] = None,
    treated: Annotated[str | None, typer.Option(help="Changed group as kind:value: rung:..., segment:..., "
                                                     "triage:best, view:NAME, country:FR, campaign:3:treated.")] = None,
    control: Annotated[str | None, typer.Option(help="Control group as kind:value (as --treated).")] = None,
    weeks: Annotated[int, typer.Option(help="Weeks looked at on each side of the date.")] = 26,
    store: StoreOption = None,
) -> None:
    """Revenue per party and week before and after a change (a price change, a competitor's launch), against a
    control group it did not touch: difference in differences with a 95% interval."""
    from patron.areas.results.service import before_after as compare
    from patron.areas.results.service import group_parties
    from patron.errors import InvalidInput
    from patron.service.inputs import parse_date

    when = parse_date(date, "--date")
    if treated or control:
        from patron.areas.results.service import before_after_groups

        if not (treated and control):
            raise InvalidInput("Give both --treated and --control (kind:value), e.g. --treated country:FR "
                               "--control country:DE.")
        with open_store(store, read_only=True) as s:
            r = before_after_groups(s, None, when, treated, control, weeks=weeks)
        console.print(f"{r['treated_label']} ({r['treated_parties']:,}) against {r['control_label']} "
                      f"({r['control_parties']:,}), {weeks} weeks each side of {when:%Y-%m-%d} ({r['unit']})")
        console.print(f"changed group: {r['treated_before']:,.2f} before, {r['treated_after']:,.2f} after; control: "
                      f"{r['control_before']:,.2f} before, {r['control_after']:,.2f} after")
        console.print(f"difference in differences: {r['estimate']:+,.2f} ({r['low']:+,.2f} to {r['high']:+,.2f}, "
                      f"{r['method']}); by week (Welch): {r['by_week']['low']:+,.2f} to {r['by_week']['high']:+,.2f}")
        return
    with open_store(store, read_only=True) as s:
        groups = []
        for segment, rung, camp, arm, name in ((treated_segment, treated_rung, treated_campaign, "treated", "changed"),
                                               (control_segment, control_rung, control_campaign, "control",
                                                "control")):
            if sum(v is not None for v in (segment, rung, camp)) != 1:
                raise InvalidInput(f"Name the {name} group once: a segment, a rung or a campaign.")
            groups.append(group_parties(s, segment=segment, rung=rung, campaign_id=camp, arm=arm if camp else None))
        r = compare(s, None, when, groups[0], groups[1], weeks=weeks)
    console.print(f"{r['treated_parties']:,} changed and {r['control_parties']:,} control parties, {weeks} weeks "
                  f"each side of {when:%Y-%m-%d} ({r['unit']})")
    console.print(f"changed group: {r['treated_before']:,.2f} before, {r['treated_after']:,.2f} after; control: "
                  f"{r['control_before']:,.2f} before, {r['control_after']:,.2f} after")
    console.print(f"difference in differences: {r['estimate']:+,.2f} ({r['low']:+,.2f} to {r['high']:+,.2f}, "
                  f"{r['method']}); the changed group alone moved {r['naive_change']:+,.2f}")
