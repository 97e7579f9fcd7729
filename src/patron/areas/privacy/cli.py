"""``patron privacy export|erase PARTY``: a person's data, handed over or erased."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from patron.cli.common import StoreOption, console, open_store

commands = typer.Typer()


@commands.command()
def privacy(
    action: Annotated[str, typer.Argument(help="export: everything patron holds about the person, as a ZIP of "
                                          "JSON and CSV; erase: remove their personal data for good.")],
    party_id: Annotated[int, typer.Argument(help="The customer's number (as on their page).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the export "
                                                "(default: privacy-export-PARTY.zip).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking.")] = False,
    store: StoreOption = None,
) -> None:
    """Answer a privacy request: hand a person their data, or erase it.

    An erasure empties the person's personal fields and free text, replaces their keys, removes their
    change history and the quarantined lines that mention them, and puts them on the suppression list so
    that no later import brings them back and no list contacts them. Their purchases stay, anonymised, so
    totals and models stay right. It cannot be undone.

    Examples:

      patron privacy export 1042

      patron privacy erase 1042 --yes
    """
    from patron.areas.privacy.service import erase, export_archive

    if action not in ("export", "erase"):
        raise typer.BadParameter("Use export or erase.", param_hint="ACTION")
    with open_store(store) as s:
        if action == "export":
            target = out or Path(f"privacy-export-{party_id}.zip")
            target.write_bytes(export_archive(s, None, party_id))
            console.print(f"Wrote everything held about customer {party_id} to {target}.")
            return
        if not yes and not typer.confirm(f"Erase customer {party_id}'s personal data for good?"):
            raise typer.Abort()
        done = erase(s, None, party_id)
    kept = ", ".join(f"{n:,} {t}" for t, n in done.facts_anonymised.items()) or "no facts"
    console.print(f"Customer {party_id} erased: personal data and free text removed, {done.keys_hashed} key(s) "
                  f"replaced, {done.quarantine_removed} quarantined line(s) removed; kept anonymised: {kept}. "
                  "They are on the suppression list.")
