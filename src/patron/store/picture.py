"""The current picture of each party (``party_picture`` and ``consent_latest``, migration 22): the read model.

The customer list, search and the 360's header read one indexed row a party instead of joining the current
run's scores, the newest interaction, the consent ledger and the suppression list on every request (at a
million customers those joins cost most of a request). A row holds the party's list fields, the current run's
scores, the newest interaction and the last activity, the latest consent per channel (``consent_<channel>``)
and whether the party is suppressed; ``consent_latest`` holds the latest consent row per channel and purpose.

Both are made in SQL from the tables they summarise, so they are right by construction: every writer calls
:func:`refresh` with the parties it changed, inside its transaction (beside :func:`patron.store.search_index.refresh`,
and for activity: imports of interactions and consents, the activity composer, undo); making a run the current
picture calls :func:`rebuild`. ``patron reindex`` rebuilds it too. Each write also sets the CLV the parties'
search tokens carry (``party_search.clv``, migration 24), which orders a name search without reading the picture.
"""

from __future__ import annotations

from patron.store.vocabulary import CONSENT_CHANNELS

#: The run every page shows (:func:`patron.service.runs.current_run`, in SQL: the store sits below the service).
CURRENT_RUN = ("coalesce((SELECT max(run_id) FROM runs WHERE kind = 'value' AND status = 'current'), "
               "(SELECT max(run_id) FROM runs WHERE kind = 'value' AND status IS NULL))")
PARTY_COLUMNS = ("kind", "category", "name", "email", "phone", "city", "country", "acquisition_channel", "owner")
SCORE_COLUMNS = ("run_id", "rung", "rung_level", "triage", "rfm_segment", "clv", "p_alive", "revenue", "health",
                 "at_risk", "last_purchase_at")
COLUMNS = ("party_id", *PARTY_COLUMNS, *SCORE_COLUMNS, "last_interaction_at", "last_activity",
           *(f"consent_{c}" for c in CONSENT_CHANNELS), "suppressed")
#: The fact tables the picture summarises: an import into one refreshes the parties it names.
FACT_TABLES = ("interactions", "consents")
#: Past this many parties a refresh makes the whole picture again (one statement beats thousands of chunks).
WHOLE = 50_000


def _latest_sql(where: str) -> str:
    return ("SELECT party_id, channel, purpose, granted, recorded_at, lawful_basis, consent_id FROM ("
            "SELECT party_id, channel, purpose, granted, recorded_at, lawful_basis, consent_id, row_number() OVER "
            "(PARTITION BY party_id, channel, purpose ORDER BY recorded_at DESC, consent_id DESC) AS latest "
            f"FROM consents WHERE {where}) c WHERE latest = 1")


def _last_activity(purchase: str) -> str:
    """The later of the newest purchase (the column ``purchase``) and the newest interaction (``ia.last_at``)."""
    return (f"CASE WHEN {purchase} IS NULL THEN ia.last_at "
            f"WHEN ia.last_at IS NULL OR {purchase} >= ia.last_at THEN {purchase} ELSE ia.last_at END")


def _picture_sql(where: str) -> str:
    """SELECT of every column of ``party_picture`` for the parties ``where`` selects (a condition on
    ``party_id``); ``consent_latest`` must be current for them."""
    channels = ", ".join(f"bool_or(CASE WHEN channel = '{c}' THEN granted END) AS consent_{c}" for c in CONSENT_CHANNELS)
    last = _last_activity("s.last_purchase_at")
    return (
        f"SELECT p.party_id, {', '.join('p.' + c for c in PARTY_COLUMNS)}, "
        f"{', '.join('s.' + c for c in SCORE_COLUMNS)}, ia.last_at AS last_interaction_at, {last} AS last_activity, "
        f"{', '.join('cl.consent_' + c for c in CONSENT_CHANNELS)}, "
        "EXISTS (SELECT 1 FROM suppressions sx WHERE sx.party_id = p.party_id) AS suppressed "
        f"FROM parties p LEFT JOIN scores s ON s.party_id = p.party_id AND s.run_id = {CURRENT_RUN} "
        f"LEFT JOIN (SELECT party_id, max(occurred_at) AS last_at FROM interactions WHERE {where} GROUP BY party_id) ia "
        "ON ia.party_id = p.party_id "
        # The latest consent per channel whatever the purpose: the newest of the channel's latest rows.
        f"LEFT JOIN (SELECT party_id, {channels} FROM (SELECT party_id, channel, granted, row_number() OVER "
        "(PARTITION BY party_id, channel ORDER BY recorded_at DESC, consent_id DESC) AS n FROM consent_latest "
        f"WHERE {where}) x WHERE n = 1 GROUP BY party_id) cl ON cl.party_id = p.party_id "
        f"WHERE {'TRUE' if where == 'TRUE' else 'p.' + where}"
        # In party order: a page's rows, read by id, lie together
        " ORDER BY p.party_id"
    )


def _write(store, where: str) -> None:
    names = ", ".join(COLUMNS)
    store.raw.execute(f"DELETE FROM consent_latest WHERE {where}")
    store.raw.execute("INSERT INTO consent_latest (party_id, channel, purpose, granted, recorded_at, lawful_basis, "
                      f"consent_id) {_latest_sql(where)}")
    store.raw.execute(f"DELETE FROM party_picture WHERE {where}")
    store.raw.execute(f"INSERT INTO party_picture ({names}) {_picture_sql(where)}")
    # The search tokens carry the CLV that orders a name search's matches (migration 24): only those it changed.
    tokens = "TRUE" if where == "TRUE" else f"party_search.{where}"
    store.raw.execute(f"UPDATE party_search SET clv = pp.clv FROM (SELECT party_id, clv FROM party_picture "
                      f"WHERE {where}) pp WHERE pp.party_id = party_search.party_id AND {tokens} "
                      "AND party_search.clv IS DISTINCT FROM pp.clv")


def refresh(store, party_ids) -> None:
    """Make the picture of ``party_ids`` again from the tables it summarises (no row for a party not there).

    Call inside the writer's transaction, after its change. ``party_ids`` is a list of ids or the SQL of a
    query selecting them (a temporary table or a subquery the caller built, without parameters).
    """
    if isinstance(party_ids, str):
        # Materialised once: the condition is read by every statement, and the query may read what they change.
        ids = [r[0] for r in store.query(f"SELECT DISTINCT party_id FROM ({party_ids}) t WHERE party_id IS NOT NULL")]
    else:
        ids = sorted({int(i) for i in party_ids if i is not None})
    if len(ids) > WHOLE:
        _rebuild(store)
        return
    for start in range(0, len(ids), 1000):
        _write(store, f"party_id IN ({', '.join(map(str, ids[start:start + 1000]))})")


def refresh_activity(store, party_id: int) -> None:
    """After a writer only added an interaction of ``party_id``: its newest interaction and last activity made
    again from ``interactions``, in one statement (the other columns cannot have changed).

    A full :func:`refresh` of one party is four statements and, 8 clients reading 360s on 2 cores, each one
    a wait for the interpreter (stop 23: 13 of a logged contact's 20 ms of CPU).
    """
    last = _last_activity("party_picture.last_purchase_at")
    store.raw.execute(
        f"UPDATE party_picture SET last_interaction_at = ia.last_at, last_activity = {last} "
        "FROM (SELECT max(occurred_at) AS last_at FROM interactions WHERE party_id = ?) ia WHERE party_id = ?",
        [int(party_id), int(party_id)])


def imported(import_id: int, fact_table: str | None = None) -> str:
    """SQL of the parties an import touched for the picture: those it created, and those ``fact_table``'s rows name."""
    sql = f"SELECT party_id FROM parties WHERE import_id = {int(import_id)}"
    if fact_table in FACT_TABLES:
        sql += f" UNION ALL SELECT party_id FROM {fact_table} WHERE import_id = {int(import_id)}"
    return sql


def rebuild(store) -> int:
    """The whole picture made again (a run became current, ``patron reindex``); the number of parties.

    Call inside the writer's transaction.
    """
    _rebuild(store)
    return store.scalar("SELECT count(*) FROM party_picture")


def _rebuild(store) -> None:
    duck = store.backend_name == "duckdb"
    if duck:  # the indexes made again after the rows: much faster than growing them row by row
        store.raw.execute("DROP INDEX IF EXISTS party_picture_party")
        store.raw.execute("DROP INDEX IF EXISTS consent_latest_party")
    _write(store, "TRUE")
    if duck:
        store.raw.execute("CREATE INDEX party_picture_party ON party_picture (party_id)")
        store.raw.execute("CREATE INDEX consent_latest_party ON consent_latest (party_id)")
    store.raw.execute("DELETE FROM settings WHERE name = 'party_picture'")


def stale(store) -> bool:
    """Whether the picture is still to be built: a store that held parties before migration 22."""
    return bool(store.scalar("SELECT count(*) FROM settings WHERE name = 'party_picture'"))


def ensure(store) -> None:
    """Build the picture if it is still to be built (see :func:`stale`)."""
    if store.stable(("party picture stale",), lambda: stale(store)):
        with store.transaction():
            if stale(store):
                _rebuild(store)
