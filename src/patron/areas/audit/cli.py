"""``patron audit``: the audit log in the terminal."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain

commands = typer.Typer()


@commands.command()
def audit(
    limit: Annotated[int, typer.Option(help="How many entries, newest first.")] = 50,
    entity: Annotated[Optional[str], typer.Option(help="Only this kind of record: complaint, user, api_token...")] = None,
    entity_id: Annotated[Optional[int], typer.Option("--id", help="Only this record (with --entity).")] = None,
    store: StoreOption = None,
) -> None:
    """Show who changed what, and when (every change made through patron is recorded)."""
    from patron.areas.audit.service import audit_log

    with open_store(store, read_only=True) as s:
        entries = audit_log(s, None, limit=limit, entity=entity, entity_id=entity_id)
    table = Table(title=f"audit log (latest {len(entries)})")
    for col in ("when (UTC)", "who", "what", "on", "detail"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(f"{e['happened_at']:%Y-%m-%d %H:%M:%S}", plain(e["username"]), e["action"],
                      f"{e['entity'] or ''} {'' if e['entity_id'] is None else e['entity_id']}".strip(),
                      plain("; ".join(f"{k}: {v}" for k, v in e["detail"].items())))
    console.print(table)
