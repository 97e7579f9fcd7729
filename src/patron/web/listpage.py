"""What the pages of a server-side list share (complaints, interactions): the filter form's inputs as list filters
(``docs/list-views.md``) and back, and the links to sort, to the next page and to the export of the view."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Input:
    """One input of a list's filter form: its name, the list field it filters and the operator."""

    name: str
    field: str
    op: str
    #: "to" dates take the whole day: 2025-01-31 means up to 2025-01-31 23:59:59.
    end_of_day: bool = False


def form_filters(params, inputs: Sequence[Input]) -> list[dict]:
    """The form's query parameters as filters; ``filters`` (JSON, a saved view's) comes first."""
    found = json.loads(params["filters"]) if params.get("filters") else []
    for i in inputs:
        value = (params.get(i.name) or "").strip()
        if value:
            found.append({"field": i.field, "op": i.op,
                          "value": f"{value[:10]}T23:59:59" if i.end_of_day and len(value) == 10 else value})
    return found


def form_values(filters: list[dict], inputs: Sequence[Input]) -> dict:
    """Back from filters to the form's inputs (a saved view opened fills the form)."""
    values = {}
    for i in inputs:
        for f in filters:
            if f["field"] == i.field and f["op"] == i.op and not isinstance(f.get("value"), list):
                v = f["value"]
                values[i.name] = f"{v:g}" if isinstance(v, float) else str(v)[:10] if i.op in ("gte", "lte") \
                    and "-" in str(v) else str(v)
    return values


@dataclass(frozen=True)
class Links:
    """The links of one page of a list: the next page, each column's sort, the export of exactly this view."""

    filters_json: str
    sort: str
    next_url: str | None
    export_url: str
    sort_url: Callable[[str], str]


def links(path: str, page: dict, export_path: str) -> Links:
    here = {"filters": json.dumps(page["filters"]), "sort": page["sort"]}
    return Links(
        here["filters"], page["sort"],
        f"{path}?{urlencode({**here, 'cursor': page['next_cursor']})}" if page["next_cursor"] else None,
        f"{export_path}?{urlencode(here)}",
        lambda field: f"{path}?" + urlencode({"filters": here["filters"],
                                              "sort": field if page["sort"] != field else "-" + field}))
