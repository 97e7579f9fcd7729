"""``patron resolve``: one customer per person across the systems (run, review, explain, undo)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store
from patron.service import resolve as service

resolve_app = typer.Typer(
    help=("Find customers recorded twice (in one system or across systems), merge the sure ones into one "
          "customer, and queue the doubtful ones for a person to decide. Every merge can be undone."),
    invoke_without_command=True,
    no_args_is_help=False,
)
commands = typer.Typer()
commands.add_typer(resolve_app, name="resolve")


def _evidence_table(evidence: list[dict], title: str) -> Table:
    table = Table(title=title)
    table.add_column("field")
    table.add_column("how it compared")
    table.add_column("agreed")
    table.add_column("Bayes factor", justify="right")
    table.add_column("weight", justify="right")
    for e in sorted(evidence, key=lambda e: -e["weight"]):
        table.add_row(e["field"], e["level"], "yes" if e["agreed"] else "no", f"{e['bayes_factor']:,.2f}",
                      f"{e['weight']:+.2f}")
    return table


@resolve_app.callback()
def run(
    ctx: typer.Context,
    store: StoreOption = None,
    accept: Annotated[float, typer.Option(help="Merge pairs at least this likely to be one customer.")] =
        service.ACCEPT_THRESHOLD,
    review: Annotated[float, typer.Option(help="Send pairs at least this likely (but below --accept) to review.")] =
        service.REVIEW_THRESHOLD,
    engine: Annotated[str, typer.Option(help="Where to compare: duckdb (default) or spark (needs patron\\[spark]).")] =
        "duckdb",
    seed: Annotated[int, typer.Option(help="Seed of the sample the model learns from (same seed, same result).")] =
        42,
) -> None:
    """Find and merge customers recorded twice; doubtful pairs go to 'patron resolve review'."""
    if ctx.invoked_subcommand is not None:
        ctx.ensure_object(dict)["store"] = store
        return
    with open_store(store) as s, console.status("Resolving identities...") as status:
        summary = service.run_resolution(s, accept=accept, review=review, engine=engine, seed=seed,
                                         progress=lambda text: status.update(text))
    if summary.message:
        console.print(summary.message)
        return
    table = Table(title=f"identity resolution (run {summary.run_id})")
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in (("customers compared", summary.records), ("candidate pairs found", summary.pairs_found),
                         ("merged", summary.merged), ("sent to review", summary.sent_to_review),
                         ("kept apart (rejected or undone before)", summary.kept_apart)):
        table.add_row(label, f"{value:,}")
    console.print(table)
    console.print(f"Compared on: {', '.join(summary.fields)}. Merged if at least {accept:.0%} likely, "
                  f"reviewed from {review:.0%}.")
    if summary.sent_to_review:
        console.print("Next: [bold]patron resolve review[/] to decide the doubtful pairs.")


def _store(ctx: typer.Context, store: Optional[str]) -> Optional[str]:
    return store or (ctx.obj or {}).get("store")


@resolve_app.command("review")
def review_cmd(
    ctx: typer.Context,
    accept: Annotated[Optional[int], typer.Option("--accept", help="Merge this queued pair (its review id).")] = None,
    reject: Annotated[Optional[int], typer.Option("--reject", help="Keep this queued pair apart for good.")] = None,
    limit: Annotated[int, typer.Option(help="How many pending pairs to list.")] = 20,
    store: StoreOption = None,
) -> None:
    """List the doubtful pairs waiting for a decision, or accept / reject one."""
    with open_store(_store(ctx, store)) as s:
        if accept is not None or reject is not None:
            if accept is not None and reject is not None:
                raise typer.BadParameter("Give either --accept or --reject, not both.")
            result = service.decide_review(s, accept if accept is not None else reject, accept is not None)
            if result["status"] == "accepted":
                console.print(f"Merged party {result['merged_party_id']} into {result['surviving_party_id']} "
                              f"(merge {result['merge_id']}; 'patron resolve undo {result['merge_id']}' reverses it).")
            else:
                console.print("Kept apart: this pair will not be merged or queued again.")
            return
        items = service.pending_reviews(s, limit)
    if not items:
        console.print("No pairs are waiting for review.")
        return
    for item in items:
        console.print(_evidence_table(
            item.explanation,
            f"review {item.review_id}: party {item.left_party_id} ({item.left_name}) and "
            f"{item.right_party_id} ({item.right_name}) - {item.match_probability:.1%} likely, "
            f"weight {item.match_weight:+.1f}"))
    console.print("Decide with: patron resolve review --accept ID  or  --reject ID")


@resolve_app.command("explain")
def explain_cmd(
    ctx: typer.Context,
    party_or_merge: Annotated[str, typer.Argument(help="A customer's party id (1577), or a merge (M46).")],
    store: StoreOption = None,
) -> None:
    """Show why customers were merged (or queued): which fields agreed and the match weight."""
    with open_store(_store(ctx, store), read_only=False) as s:
        found = service.explain(s, party_or_merge)
    if not found["merges"] and not found["reviews"]:
        console.print(f"Party {found['id']} has not been merged with anyone, and no pair with it is queued.")
    for m in found["merges"]:
        state = f", undone {m['undone_at']:%Y-%m-%d %H:%M}" if m["undone_at"] else ""
        probability = f"{m['match_probability']:.1%}" if m["match_probability"] is not None else "?"
        weight = f"{m['match_weight']:+.1f}" if m["match_weight"] is not None else "?"
        console.print(_evidence_table(
            m["evidence"], f"merge M{m['merge_id']}: party {m['merged_party_id']} into {m['surviving_party_id']} "
            f"- {probability} likely, weight {weight}{state}"))
    for r in found["reviews"]:
        console.print(_evidence_table(
            r["evidence"], f"review {r['review_id']} ({r['status']}): parties {r['left_party_id']} and "
            f"{r['right_party_id']} - {r['match_probability']:.1%} likely, weight {r['match_weight']:+.1f}"))


@resolve_app.command("undo")
def undo_cmd(
    ctx: typer.Context,
    merge_id: Annotated[str, typer.Argument(help="The merge to undo: 46 or M46 (see 'patron resolve explain PARTY').")],
    store: StoreOption = None,
) -> None:
    """Undo a merge: the merged customer comes back with every record it had."""
    number = merge_id.strip().lower().removeprefix("merge:").removeprefix("m")
    if not number.isdigit():
        raise typer.BadParameter(f"'{merge_id}' is not a merge id (a number such as 46, or M46).")
    with open_store(_store(ctx, store)) as s:
        result = service.undo(s, int(number))
    console.print(f"Party {result['merged_party_id']} is separate from {result['surviving_party_id']} again "
                  f"({result['rows']:,} records moved back).")
