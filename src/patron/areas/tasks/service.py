"""Tasks: work for a person about a customer, with an owner and a due date; done or cancelled, never deleted.

A task is entered by hand (on the customer page, a bulk action on a list, the API, ``patron tasks add``) or by a
playbook (issue 16's act area calls :func:`create_task` with ``source`` and ``campaign_id``). "My tasks" lists a
user's open tasks, overdue first, then by due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from patron.areas.parties.lists import known_user, selected_parties
from patron.areas.parties.service import require_party
from patron.errors import Conflict, InvalidInput, NotFound
from patron.service.audit import record
from patron.service.entered import now
from patron.service.permissions import User
from patron.store import Store

TASK_STATUSES = ("open", "done", "cancelled")
COLUMNS = ("task_id", "party_id", "title", "body", "owner", "due_at", "status", "source", "campaign_id",
           "created_at", "created_by", "done_at", "done_by")


def _title(title: str | None) -> str:
    text = (title or "").strip()
    if not text:
        raise InvalidInput("A task needs a title (what is to be done).")
    if len(text) > 300:
        raise InvalidInput("A task's title is at most 300 characters; put the rest in its notes.")
    return text


def create_task(store: Store, *, party_id: int | None, title: str, body: str | None = None, owner: str | None = None,
                due_at: dt.datetime | None = None, source: str = "patron", campaign_id: int | None = None,
                created_by: str | None = None) -> int:
    """Add an open task in its own write transaction and return its id. Checks the title and the party; the
    caller checks who may (a playbook, a user's form). Inside a transaction already open, use :func:`insert_task`.
    """
    with store.transaction():
        return insert_task(store, party_id=party_id, title=title, body=body, owner=owner, due_at=due_at,
                           source=source, campaign_id=campaign_id, created_by=created_by)


def insert_task(store: Store, *, party_id: int | None, title: str, body: str | None = None, owner: str | None = None,
                due_at: dt.datetime | None = None, source: str = "patron", campaign_id: int | None = None,
                created_by: str | None = None) -> int:
    """:func:`create_task` inside the caller's write transaction (a playbook adding tasks with its campaign)."""
    title = _title(title)
    if party_id is not None:
        require_party(store, party_id)
    task_id = store.next_id("tasks", "task_id")
    store.raw.execute(
        "INSERT INTO tasks (task_id, party_id, title, body, owner, due_at, status, source, campaign_id, "
        "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
        [task_id, party_id, title, (body or "").strip() or None, owner or None, due_at, source, campaign_id,
         now(), created_by])
    return task_id


def add_task(store: Store, user: User, party_id: int | None, title: str, *, body: str | None = None,
             owner: str | None = None, due_at: dt.datetime | None = None) -> dict:
    """A task entered by ``user``; the owner (a user name) defaults to ``user``."""
    user.require("customers.write")
    owner = known_user(store, owner) if owner else user.username
    with store.transaction():
        task_id = insert_task(store, party_id=party_id, title=title, body=body, owner=owner, due_at=due_at,
                              created_by=user.username)
        record(store, user, "task.create", "task", task_id, {"party_id": party_id, "owner": owner})
    return get_task(store, task_id)


def add_tasks(store: Store, user: User, title: str, *, filters=None, party_ids: Sequence[int] | None = None,
              body: str | None = None, owner: str | None = None, due_at: dt.datetime | None = None) -> dict:
    """One task for each selected customer (ticked ones, or every one the list's filters select)."""
    user.require("customers.write")
    title = _title(title)
    owner = known_user(store, owner) if owner else user.username
    with store.transaction():
        ids = selected_parties(store, filters, party_ids)
        first = store.next_id("tasks", "task_id")
        at = now()
        for start in range(0, len(ids), 1000):  # one statement per 1,000 (executemany costs ~1 ms a row)
            chunk = ids[start:start + 1000]
            store.raw.execute(
                "INSERT INTO tasks (task_id, party_id, title, body, owner, due_at, status, source, created_at, "
                "created_by) SELECT CAST(? AS BIGINT) + row_number() OVER (ORDER BY party_id) - 1, party_id, "
                "CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS TIMESTAMP), 'open', "
                f"'patron', CAST(? AS TIMESTAMP), CAST(? AS VARCHAR) FROM parties WHERE party_id IN ({', '.join('?' for _ in chunk)})",
                [first + start, title, body or None, owner, due_at, at, user.username, *chunk])
        record(store, user, "task.create_many", "task", None, {"count": len(ids), "owner": owner, "title": title})
    return {"created": len(ids), "owner": owner}


def get_task(store: Store, task_id: int) -> dict:
    rows = store.records(f"SELECT {', '.join('t.' + c for c in COLUMNS)}, p.name AS party_name FROM tasks t "
                         "LEFT JOIN parties p ON p.party_id = t.party_id WHERE t.task_id = ?", [task_id])
    if not rows:
        raise NotFound(f"There is no task {task_id}.")
    return rows[0]


def list_tasks(store: Store, user: User, *, owner: str | None = None, party_id: int | None = None,
               status: str | None = "open", limit: int = 200, at: dt.datetime | None = None) -> list[dict]:
    """Tasks, overdue first (oldest due first), then by due date, undated last; each with ``overdue``."""
    user.require("customers.read")
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInput(f"A task is {', '.join(TASK_STATUSES)}, not '{status}'.")
    where, params = [], []
    for column, value in (("t.owner", owner), ("t.party_id", party_id), ("t.status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.records(f"SELECT {', '.join('t.' + c for c in COLUMNS)}, p.name AS party_name FROM tasks t "
                         f"LEFT JOIN parties p ON p.party_id = t.party_id {clause} "
                         "ORDER BY t.due_at IS NULL, t.due_at, t.task_id LIMIT ?", [*params, int(limit)])
    at = at or now()
    for r in rows:
        r["overdue"] = r["status"] == "open" and r["due_at"] is not None and r["due_at"] < at
    return rows


def finish_task(store: Store, user: User, task_id: int, status: str = "done") -> dict:
    """Mark an open task done or cancelled (who and when are kept)."""
    user.require("customers.write")
    if status not in ("done", "cancelled"):
        raise InvalidInput(f"A task is finished as done or cancelled, not '{status}'.")
    with store.transaction():
        task = get_task(store, task_id)
        if task["status"] != "open":
            raise Conflict(f"Task {task_id} is already {task['status']}.")
        store.raw.execute("UPDATE tasks SET status = ?, done_at = ?, done_by = ? WHERE task_id = ?",
                          [status, now(), user.username, task_id])
        record(store, user, f"task.{status}", "task", task_id)
    return get_task(store, task_id)
