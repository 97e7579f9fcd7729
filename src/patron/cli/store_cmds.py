"""``patron status``, ``patron check`` and ``patron reindex``: what the store holds, whether it is sound, and its
search index made again."""

from __future__ import annotations

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store
from patron.errors import PatronError

commands = typer.Typer()


@commands.command()
def status(store: StoreOption = None) -> None:
    """Show what the store holds: rows per table and the latest imports."""
    from patron.areas.imports.service import recent_imports

    with open_store(store) as s:
        table = Table(title=f"patron store: {s.url.display} (schema v{s.schema_version()})")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, n in s.counts().items():
            table.add_row(name, f"{n:,}")
        console.print(table)
        recent = recent_imports(s, 10)
    if recent:
        imports = Table(title="latest imports")
        for col in ("id", "kind", "source", "file", "accepted", "rejected", "already present", "finished"):
            numeric = col in ("accepted", "rejected", "already present")
            imports.add_column(col, justify="right" if numeric else "left")
        for r in recent:
            imports.add_row(str(r["import_id"]), r["kind"], r["source"], r["file_name"], f"{r['accepted']:,}",
                            f"{r['rejected']:,}", f"{r['already_present']:,}", str(r["finished_at"])[:19])
        console.print(imports)


@commands.command()
def check(store: StoreOption = None) -> None:
    """Check the store's integrity: unique keys unique, every fact attached to a party."""
    with open_store(store) as s:
        problems = s.integrity_problems()
    if problems:
        raise PatronError("The store has integrity problems:\n  " + "\n  ".join(problems))
    console.print("[green]The store is sound:[/] every key is unique and every fact belongs to a party.")


@commands.command()
def reindex(store: StoreOption = None) -> None:
    """Make the customer search index and each customer's current picture (list, search) again.

    Imports, merges, forms and erasure keep them current; run this after writing parties, scores, interactions
    or consents with SQL of your own.
    """
    from patron.areas.parties.service import rebuild_search_index

    with open_store(store) as s:
        tokens, seconds = rebuild_search_index(s)
    console.print(f"[green]Search index rebuilt:[/] {tokens:,} tokens, and every customer's current picture, "
                  f"in {seconds:.1f} s.")
