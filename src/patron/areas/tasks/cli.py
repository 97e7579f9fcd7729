"""``patron tasks``: open tasks (a user's, or everyone's), adding one for a customer, finishing one; and
``patron list``: the customer list with filters, sort and cursor paging, or a saved view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain

tasks_app = typer.Typer(help="Tasks: work for a person about a customer, overdue first.", no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(tasks_app, name="tasks")
As = Annotated[str | None, typer.Option("--as", help="Act as this patron user (default: the operator).")]


def _actor(store, username: str | None):
    from patron.areas.accounts.service import OPERATOR
    from patron.areas.users.service import get_user
    from patron.errors import NotFound

    if not username:
        return OPERATOR
    user = get_user(store, username)
    if user is None:
        raise NotFound(f"There is no user '{username}'.")
    return user


@tasks_app.command("list")
def tasks_list(owner: Annotated[str | None, typer.Option(help="Only this user's tasks.")] = None,
               status: Annotated[str, typer.Option(help="open, done or cancelled.")] = "open",
               party: Annotated[int | None, typer.Option(help="Only this customer's tasks.")] = None,
               store: StoreOption = None) -> None:
    """Tasks, overdue first, then by due date."""
    from patron.areas.tasks.service import list_tasks

    with open_store(store, read_only=True) as s:
        rows = list_tasks(s, _actor(s, None), owner=owner, party_id=party, status=status)
    table = Table(title=f"{status} tasks ({len(rows)})")
    for col in ("id", "due", "task", "customer", "owner", "overdue"):
        table.add_column(col)
    for t in rows:
        table.add_row(str(t["task_id"]), f"{t['due_at']:%Y-%m-%d}" if t["due_at"] else "", plain(t["title"]),
                      plain(t["party_name"] or (f"#{t['party_id']}" if t["party_id"] else "")), plain(t["owner"] or ""),
                      "overdue" if t["overdue"] else "")
    console.print(table)


@tasks_app.command("add")
def tasks_add(party: Annotated[int, typer.Argument(help="The customer's number.")],
              title: Annotated[str, typer.Argument(help="What is to be done.")],
              due: Annotated[dt.datetime | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
              owner: Annotated[str | None, typer.Option(help="Who does it (a user name).")] = None,
              as_user: As = None, store: StoreOption = None) -> None:
    """Add a task for a customer."""
    from patron.areas.tasks.service import add_task

    with open_store(store) as s:
        task = add_task(s, _actor(s, as_user), party, title, owner=owner, due_at=due)
    console.print(f"Task {task['task_id']} added for {plain(task['owner'] or '')}.")


@tasks_app.command("done")
def tasks_done(task_id: Annotated[int, typer.Argument(help="The task's number.")],
               cancel: Annotated[bool, typer.Option(help="Cancelled rather than done.")] = False,
               as_user: As = None, store: StoreOption = None) -> None:
    """Mark a task done (or cancelled)."""
    from patron.areas.tasks.service import finish_task

    with open_store(store) as s:
        task = finish_task(s, _actor(s, as_user), task_id, "cancelled" if cancel else "done")
    console.print(f"Task {task_id} {task['status']}.")


@commands.command("list")
def customer_list(filters: Annotated[str | None, typer.Option(
                      help='JSON list of {"field", "op", "value"} (docs/list-views.md).')] = None,
                  view: Annotated[int | None, typer.Option(help="A saved view's number instead of filters.")]
                  = None,
                  sort: Annotated[str | None, typer.Option(help="A field; '-' first for descending.")] = None,
                  cursor: Annotated[str | None, typer.Option(help="Where the previous page ended.")] = None,
                  limit: Annotated[int, typer.Option(help="Customers per page (1-500).")] = 30,
                  store: StoreOption = None) -> None:
    """The customer list: filtered, sorted, one page at a time (the pages' and the API's list)."""
    from patron.areas.parties.lists import customer_list as listed
    from patron.areas.views.service import view_filters

    with open_store(store, read_only=True) as s:
        if view is not None:
            filters, saved_sort = view_filters(s, view)
            sort = sort or saved_sort
        page = listed(s, _actor(s, None), filters, sort=sort, cursor=cursor, limit=limit)
    table = Table(title=f"{page['total']:,} customers, sorted by {page['sort']}")
    for col in ("id", "name", "country", "owner", "rung", "triage", "CLV", "P(active)"):
        table.add_column(col, justify="right" if col in ("id", "CLV", "P(active)") else "left")
    for r in page["items"]:
        table.add_row(str(r["party_id"]), plain(r["name"] or ""), plain(r["country"] or ""), plain(r["owner"] or ""),
                      r["rung"] or "", r["triage"] or "", f"{r['clv']:,.0f}" if r["clv"] is not None else "",
                      f"{r['p_alive']:.0%}" if r["p_alive"] is not None else "")
    console.print(table)
    if page["next_cursor"]:
        console.print(f"Next page: --cursor {page['next_cursor']}")
