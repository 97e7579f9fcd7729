"""The pages of a server-side list (customers, complaints, interactions): one route factory and one template
macro (``_listpage.html``) for their filter form, sort headers, cursor pager with total, saved views (save,
rename, delete) and export of exactly the view.

An area describes its list once, as a :class:`ListPage`, and calls :func:`add_routes`; its template calls the
``list_page`` macro with the rows. The filters are :mod:`patron.service.listing`'s (``docs/list-views.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.views import service as views
from patron.errors import InvalidInput
from patron.service.exports import attachment
from patron.web.auth import check_csrf, page_user
from patron.web.templating import back, render


@dataclass(frozen=True)
class Input:
    """One input of a list's filter form: its name, the list field it filters and the operator, and how the form
    shows it (its label, a ``select`` of codes or an input of ``kind`` text, date or decimal; ``link``: read from
    a link's query, such as a customer page's ``?party_id=``, and not shown)."""

    name: str
    field: str
    op: str
    #: "to" dates take the whole day: 2025-01-31 means up to 2025-01-31 23:59:59.
    end_of_day: bool = False
    label: str = ""
    choices: tuple[str, ...] | None = None
    kind: str = "text"
    size: int = 10
    placeholder: str = ""
    #: The element's id (``f-<name>`` unless given).
    id: str = ""
    #: What an empty select reads.
    blank: str = "any"

    @property
    def element_id(self) -> str:
        return self.id or f"f-{self.name.replace('_', '-')}"


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


#: ``read(store, user, filters, sort=, cursor=, limit=)``: one page of the list (``listing.select_page``'s dict).
Reader = Callable[..., dict]
#: ``export(store, user, filters_json, sort, params)``: the CSV of exactly the view, in chunks.
Exporter = Callable[..., Iterator[str]]


@dataclass(frozen=True)
class ListPage:
    """One list's pages: where it lives, its saved views' area, its filter form, how it is read and exported."""

    area: str
    path: str
    template: str
    #: The navigation entry the list belongs to (``NavItem.label``).
    active: str
    inputs: Sequence[Input]
    read: Reader
    export: Exporter
    filename: str
    export_path: str = ""
    views_path: str = ""
    #: The filter form's id (tests and links find it by it).
    form_id: str = "list-filters"
    per_page: int = 50

    @property
    def export_url(self) -> str:
        return self.export_path or f"{self.path}/export"

    @property
    def views_url(self) -> str:
        return self.views_path or f"{self.path}/views"

    def render(self, request: Request, store, user, **context) -> HTMLResponse:
        """The page: the filters asked for (or a saved view's), one page of rows in the asked order, the views."""
        params = request.query_params
        view = views.get_view(store, user, int(params["view"])) if params.get("view", "").isdigit() else None
        filters = view["filters"] if view else form_filters(params, self.inputs)
        sort = params.get("sort") or (view["sort"] if view else None)
        page = self.read(store, user, filters, sort=sort, cursor=params.get("cursor") or None, limit=self.per_page)
        return render(request, self.template, user, active=self.active, spec=self, page=page, view=view,
                      views=views.list_views(store, user, self.area), values=form_values(filters, self.inputs),
                      links=links(self.path, page, self.export_url), **context)


def add_routes(router: APIRouter, spec: ListPage, *, page: bool = True) -> None:
    """The list's routes on ``router``: the page (unless ``page`` is false: the area serves it, calling
    ``spec.render``), its export, saving a view, and renaming or deleting one (its owner, or an admin)."""
    if page:
        def list_page(request: Request, store: StoreDep):
            return spec.render(request, store, page_user(request, store))

        list_page.__doc__ = f"The {spec.area} list: filtered, sorted and paged, with saved views and an export."
        router.add_api_route(spec.path, list_page, methods=["GET"], response_class=HTMLResponse,
                             name=f"{spec.area}_list")

    def export(request: Request, store: StoreDep, filters: str = "", sort: str = ""):
        user = page_user(request, store)
        chunks = spec.export(store, user, filters or None, sort or None, request.query_params)
        return StreamingResponse(chunks, media_type="text/csv",
                                 headers={"Content-Disposition": attachment(spec.filename)})

    def save_view(request: Request, store: StoreDep, name: Annotated[str, Form(max_length=120)],
                  csrf: Annotated[str, Form()] = "", filters: Annotated[str, Form(max_length=20_000)] = "",
                  sort: Annotated[str, Form(max_length=40)] = "", shared: Annotated[str, Form()] = ""):
        check_csrf(request, csrf)
        user = page_user(request, store)
        view = views.save_view(store, user, name, filters or None, sort=sort or None, area=spec.area,
                               shared=bool(shared))
        return back(f"{spec.path}?view={view['view_id']}", request, f"View '{view['name']}' saved.")

    def change_view(request: Request, store: StoreDep, view_id: int, csrf: Annotated[str, Form()] = "",
                    name: Annotated[str, Form(max_length=120)] = "", delete: Annotated[str, Form()] = "",
                    confirm: Annotated[str, Form()] = ""):
        """Rename a view, or delete it: deleting asks for ``confirm`` (the form's "yes, delete" box)."""
        check_csrf(request, csrf)
        user = page_user(request, store)
        if delete:
            view = views.get_view(store, user, view_id)
            if not confirm:
                raise InvalidInput(f"Tick 'yes, delete' to delete the view '{view['name']}'"
                                   f"{' (everyone shares it)' if view['shared'] else ''}.")
            views.delete_view(store, user, view_id)
            return back(spec.path, request, f"View '{view['name']}' deleted.")
        view = views.update_view(store, user, view_id, name=name)
        return back(f"{spec.path}?view={view_id}", request, f"View renamed '{view['name']}'.")

    router.add_api_route(spec.export_url, export, methods=["GET"], name=f"{spec.area}_export")
    router.add_api_route(spec.views_url, save_view, methods=["POST"], name=f"{spec.area}_save_view")
    router.add_api_route(f"{spec.views_url}/{{view_id}}", change_view, methods=["POST"],
                         name=f"{spec.area}_change_view")
