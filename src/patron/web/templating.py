"""Rendering pages: the templates of ``web/templates`` and of every area, and the helpers each page route uses.

An area's templates live in ``patron/areas/<area>/templates/<area>/`` and are
named ``<area>/<page>.html``; the shared layout (``base.html``) and partials
(``_nav.html``, ``_flash.html``) are in ``web/templates``. Every template sees
the vocabularies (``vocab.COMPLAINT_SEVERITIES``...) and the navigation, which
the app collects from the areas (``NAV`` in an area's ``pages.py``, and ``NAV_MORE`` for its other entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from patron.store import vocabulary
from patron.web import formatting
from patron.web.auth import csrf_token

WEB = Path(__file__).parent
AREAS = WEB.parent / "areas"
STATIC = WEB / "static"


@dataclass(frozen=True, order=True)
class NavItem:
    """A link of the main navigation: its place (lower first), its label, where it goes, and the action
    (:mod:`patron.service.permissions`) a user needs to see it, if any."""

    order: int
    label: str
    href: str
    action: str | None = None
    #: The menu it sits in (:data:`SECTIONS`); ``None``: a link of its own on the bar (the overview).
    section: str | None = None


#: The navigation's menus, left to right. Seventeen links in one row no longer fit a 1440 px screen (the admin's
#: last five ran out of sight), so the bar holds these six disclosure menus and the overview.
SECTIONS = ("Customers", "Relationships", "Service", "Campaigns", "Analysis", "Admin")


templates = Jinja2Templates(directory=str(WEB / "templates"))
templates.env.loader = ChoiceLoader([
    FileSystemLoader(str(WEB / "templates")),
    # One folder per area holding templates/<area>/...: the names it gives them start with the area.
    *[FileSystemLoader(str(folder)) for folder in sorted(AREAS.glob("*/templates"))],
])
templates.env.globals["vocab"] = vocabulary
# Every figure and code on a page is written for people: numbers and money in the locale, codes as words.
for _name in ("number", "money", "percent", "day", "label"):
    templates.env.filters[_name] = getattr(formatting, _name)
_NAV: list[NavItem] = []


def set_navigation(items: list[NavItem]) -> None:
    """The main navigation, in order (the app sets it from the areas' ``NAV``)."""
    unknown = {i.section for i in items} - {None, *SECTIONS}
    if unknown:
        raise ValueError(f"navigation sections {sorted(unknown)} are not in SECTIONS")
    _NAV[:] = sorted(items)


def navigation(user) -> list[tuple[str | None, list[NavItem]]]:
    """What ``user`` sees of the navigation: (section, its links) in order, a section none of whose links the
    user may open left out; the links without a section come first, each as its own (``None``, [link])."""
    shown = [i for i in _NAV if not i.action or user.may(i.action)]
    return [(None, [i]) for i in shown if i.section is None] + [
        (section, links) for section in SECTIONS if (links := [i for i in shown if i.section == section])]


templates.env.globals["navigation"] = navigation


def render(request: Request, template: str, user=None, status_code: int = 200, **context) -> HTMLResponse:
    """A page: ``template`` with the user, the form token, the message of the last action and ``context``."""
    flash = request.session.pop("flash", None)
    kind = request.session.pop("flash_kind", None)
    return templates.TemplateResponse(request, template, {"user": user, "csrf": csrf_token(request), "flash": flash,
                                                          "flash_kind": kind, **context}, status_code=status_code)


def back(url: str, request: Request, message: str | None = None, error: bool = False) -> RedirectResponse:
    """After a form: to ``url``, with ``message`` shown there once."""
    if message:
        request.session["flash"] = message
        request.session["flash_kind"] = "error" if error else ""
    return RedirectResponse(url, status_code=303)
