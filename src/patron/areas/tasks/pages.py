"""``/tasks``: the signed-in user's open tasks, overdue first; marking one done or cancelled."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.tasks import service
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(25, "My tasks", "/tasks", section="Customers")


@router.get("/tasks", response_class=HTMLResponse)
def my_tasks(request: Request, store: StoreDep):
    user = page_user(request, store)
    tasks = service.list_tasks(store, user, owner=user.username)
    return render(request, "tasks/tasks.html", user, active=NAV.label, tasks=tasks,
                  overdue=sum(t["overdue"] for t in tasks))


@router.post("/tasks/{task_id}/{outcome}")
def finish(request: Request, store: StoreDep, task_id: int, outcome: str, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    task = service.finish_task(store, user, task_id, {"done": "done", "cancel": "cancelled"}.get(outcome, outcome))
    return back("/tasks", request, f"'{task['title']}' {task['status']}.")
