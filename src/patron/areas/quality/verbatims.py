"""Verbatims: every free-text feedback comment and complaint description, tagged with a SERVQUAL dimension,
a sentiment and a cause bone (:mod:`patron.models.verbatims`), and counted: which dimension people write
about, how they feel about it, and which bone of the fishbone their complaints point at.
"""

from __future__ import annotations

import datetime as dt

from patron.areas.quality.service import _window
from patron.errors import InvalidInput
from patron.models.verbatims import NO_CAUSE, Tagger, default_tagger
from patron.service.permissions import User
from patron.store import Store

SOURCES = ("feedback", "complaints")


def verbatims(store: Store, *, source: str | None = None, since: dt.date | None = None,
              until: dt.date | None = None) -> list[dict]:
    """The texts: (source, external id, party, date, instrument or category, text), oldest first."""
    if source is not None and source not in SOURCES:
        raise InvalidInput(f"Unknown verbatim source '{source}'; choose feedback or complaints.")
    rows: list[dict] = []
    if source in (None, "feedback"):
        where, params = _window(since, until)
        rows += store.records(
            "SELECT 'feedback' AS source, f.external_id, f.party_id, f.occurred_at AS at, f.instrument AS kind, "
            f"f.text FROM feedback f WHERE f.text IS NOT NULL AND trim(f.text) <> ''{where}", params)
    if source in (None, "complaints"):
        where, params = _window(since, until)
        rows += store.records(
            "SELECT 'complaints' AS source, f.external_id, f.party_id, f.opened_at AS at, f.category AS kind, "
            "f.description AS text FROM complaints f WHERE f.description IS NOT NULL AND trim(f.description) <> ''"
            + where.replace("f.occurred_at", "f.opened_at"), params)
    rows.sort(key=lambda r: (r["at"], r["source"], r["external_id"]))
    return rows


def verbatim_report(store: Store, user: User | None, *, source: str | None = None, since: dt.date | None = None,
                    until: dt.date | None = None, tagger: Tagger | None = None, sample: int = 20) -> dict:
    """Tag every verbatim and count them by dimension × sentiment and by cause bone.

    ``rows`` holds every tagged verbatim (for export); ``sample`` the latest ``sample`` of them for a page.
    """
    if user is not None:
        user.require("customers.read")
    rows = verbatims(store, source=source, since=since, until=until)
    tags = (tagger or default_tagger()).tag([r["text"] for r in rows])
    dims: dict[str, dict[str, int]] = {}
    bones: dict[str, int] = {}
    for r, t in zip(rows, tags):
        r.update(t.as_dict())
        d = dims.setdefault(t.dimension, {"positive": 0, "negative": 0})
        d[t.sentiment] = d.get(t.sentiment, 0) + 1
        if r["source"] == "complaints" and t.cause != NO_CAUSE:
            bones[t.cause] = bones.get(t.cause, 0) + 1
    dimensions = [{"dimension": k, "positive": v.get("positive", 0), "negative": v.get("negative", 0),
                   "total": sum(v.values()),
                   "net": (v.get("positive", 0) - v.get("negative", 0)) / max(sum(v.values()), 1)}
                  for k, v in dims.items()]
    dimensions.sort(key=lambda d: -d["negative"])
    return {"verbatims": len(rows), "method": "TF-IDF words and character n-grams, logistic regression, "
                                              "trained on patron's shipped labelled examples",
            "dimensions": dimensions,
            "causes": sorted(({"bone": k, "complaints": v} for k, v in bones.items()), key=lambda b: -b["complaints"]),
            "rows": rows, "sample": rows[-sample:][::-1] if sample else []}
