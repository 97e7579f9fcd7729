"""Undoing an import: the facts it added removed, the customers it created removed, the fields it changed
of known customers put back, all in one transaction.

A field the import changed is put back only while it still holds the value the import gave it: changed
again since (by a later import, a form, a merge), it is left as it is and the undo says which. Customers
the import created go only if nothing else refers to them: facts from another import, or a merge
(``patron resolve``) that joined them to another customer: undo that merge first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from patron.errors import Conflict, NotFound
from patron.store import Store, picture, search_index
from patron.store.tables import IMPORT_TABLES

#: The party fields an import can change, with the type their old value is cast back to.
_FIELD_TYPES = {
    "name": "VARCHAR", "email": "VARCHAR", "phone": "VARCHAR", "address": "VARCHAR", "postcode": "VARCHAR",
    "city": "VARCHAR", "country": "VARCHAR", "birth_date": "DATE", "kind": "VARCHAR", "category": "VARCHAR",
    "job_title": "VARCHAR", "acquired_at": "TIMESTAMP", "acquisition_channel": "VARCHAR",
    "acquisition_cost": "DECIMAL(18, 4)", "organisation_id": "BIGINT", "referred_by": "BIGINT",
}


@dataclass
class UndoReport:
    """What an undo did."""

    import_id: int
    facts_removed: dict[str, int] = field(default_factory=dict)
    parties_removed: int = 0
    fields_restored: int = 0
    #: (party_id, field, the value it holds now) of fields changed again since the import, left as they are
    kept: list[tuple[int, str, str | None]] = field(default_factory=list)


def _party_ids_created(store: Store, import_id: int) -> list[int]:
    return [r[0] for r in store.query("SELECT party_id FROM parties WHERE import_id = ? ORDER BY party_id",
                                      [import_id])]


def _refuse_if_referred(store: Store, import_id: int) -> None:
    """An undo that would leave facts without their customer, or break a merge, is refused with the reason."""
    created = "SELECT party_id FROM parties WHERE import_id = ?"
    for table in IMPORT_TABLES.values():
        if table.name == "parties":
            continue
        others = store.scalar(f"SELECT count(*) FROM {table.name} WHERE party_id IN ({created}) "
                              "AND import_id IS DISTINCT FROM ?", [import_id, import_id])
        if others:
            raise Conflict(f"Import {import_id} created customers that {others} {table.name} from other imports "
                           "belong to; undo those imports first.")
    merged = store.scalar(
        f"SELECT count(*) FROM crosswalk WHERE party_id IN ({created}) OR original_party_id IN ({created})",
        [import_id, import_id])
    merged += store.scalar(
        "SELECT count(*) FROM merge_moves mv JOIN merged_parties mp ON mp.merge_id = mv.merge_id "
        "WHERE mp.import_id = ?", [import_id])
    if merged:
        raise Conflict(f"Customers of import {import_id} were merged with others by identity resolution; "
                       "undo those merges first (patron resolve undo).")


def undo_import(store: Store, import_id: int, *, by: str | None = None) -> UndoReport:
    """Undo one import (see the module's docstring); ``by`` is who asked, kept with the import and the history.

    Raises
    ------
    NotFound
        No such import.
    Conflict
        Already undone, or customers it created are still used by other imports or merges.
    """
    with store.transaction():
        found = store.query("SELECT kind, undone_at FROM imports WHERE import_id = ?", [import_id])
        if not found:
            raise NotFound(f"There is no import {import_id}.")
        if found[0][1] is not None:
            raise Conflict(f"Import {import_id} was already undone on {found[0][1]:%Y-%m-%d %H:%M}.")
        _refuse_if_referred(store, import_id)
        report = UndoReport(import_id)
        # Whose picture the undo changes (their activity and consent, fields restored), read before it.
        touched = [r[0] for r in store.query(
            f"{picture.imported(import_id, found[0][0] if found[0][0] in picture.FACT_TABLES else None)} "
            "UNION SELECT party_id FROM party_changes WHERE import_id = ?", [import_id])]
        for table in IMPORT_TABLES.values():
            if table.name == "parties":
                continue
            n = store.scalar(f"SELECT count(*) FROM {table.name} WHERE import_id = ?", [import_id])
            if n:
                store.changed(f"DELETE FROM {table.name} WHERE import_id = ?", [import_id])
                report.facts_removed[table.name] = n
        _restore_fields(store, import_id, by, report)
        created = _party_ids_created(store, import_id)
        if created:
            store.changed("DELETE FROM identities WHERE import_id = ?", [import_id])
            # Links to a removed customer (an employer, a referrer) from customers kept go too.
            for column in ("organisation_id", "referred_by"):
                store.changed(f"UPDATE parties SET {column} = NULL WHERE {column} IN "
                              "(SELECT party_id FROM parties WHERE import_id = ?) "
                              "AND import_id IS DISTINCT FROM ?", [import_id, import_id])
            store.changed("DELETE FROM party_changes WHERE party_id IN "
                          "(SELECT party_id FROM parties WHERE import_id = ?)", [import_id])
            store.changed("DELETE FROM parties WHERE import_id = ?", [import_id])
            report.parties_removed = len(created)
            search_index.refresh(store, created)
        search_index.refresh(store, f"SELECT party_id FROM party_changes WHERE import_id = {int(import_id)}")
        picture.refresh(store, touched)
        store.changed("UPDATE imports SET undone_at = now()::TIMESTAMP, undone_by = ? WHERE import_id = ?",
                      [by, import_id])
    return report


def _restore_fields(store: Store, import_id: int, by: str | None, report: UndoReport) -> None:
    """Put back what the import changed of customers it did not create, where nothing changed them since."""
    fields = [r[0] for r in store.query("SELECT DISTINCT field FROM party_changes WHERE import_id = ? "
                                        "AND how = 'import' ORDER BY 1", [import_id])]
    for name in fields:
        type_ = _FIELD_TYPES[name]
        still = ("FROM party_changes c JOIN parties p ON p.party_id = c.party_id WHERE c.import_id = ? "
                 "AND c.how = 'import' AND c.field = ? AND p.import_id IS DISTINCT FROM ?")
        report.kept += [(r[0], name, r[1]) for r in store.query(
            f"SELECT p.party_id, p.{name}::VARCHAR {still} AND p.{name}::VARCHAR IS DISTINCT FROM c.new_value "
            "ORDER BY 1", [import_id, name, import_id])]
        restorable = f"SELECT c.party_id, c.old_value, c.new_value {still} AND p.{name}::VARCHAR = c.new_value"
        params = [import_id, name, import_id]
        report.fields_restored += store.scalar(f"SELECT count(*) FROM ({restorable}) r", params)
        store.changed(
            "INSERT INTO party_changes (party_id, field, old_value, new_value, changed_at, changed_by, import_id, how) "
            "SELECT r.party_id, ?, r.new_value, r.old_value, now()::TIMESTAMP, ?, ?, "
            f"'undo' FROM ({restorable}) r", [name, by, import_id, *params])
        store.changed(
            f"UPDATE parties SET {name} = CAST(r.old_value AS {type_}) FROM ({restorable}) r "
            "WHERE parties.party_id = r.party_id", params)
