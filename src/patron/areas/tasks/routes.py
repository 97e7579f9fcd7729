"""``/api/v1/tasks``: work for a person about a customer; ``/api/v1/parties/{id}/tasks`` adds one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import Moment
from patron.areas.tasks import service

router = APIRouter(tags=["tasks"])


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300, pattern=r"\S")  # what is to be done, not blank
    body: str | None = Field(None, max_length=5000)
    owner: str | None = Field(None, max_length=200, description="A user name; the caller by default.")
    due_at: Moment | None = None


@router.get("/tasks")
def list_tasks(store: StoreDep, user: CurrentUser,
               owner: Annotated[str | None, Query(max_length=200, description="'me' for the caller.")] = None,
               party_id: int | None = None, status: Literal["open", "done", "cancelled"] | None = "open",
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Tasks, overdue first, then by due date."""
    return service.list_tasks(store, user, owner=user.username if owner == "me" else owner, party_id=party_id,
                              status=status, limit=limit)


@router.post("/parties/{party_id}/tasks", status_code=201)
def add_task(party_id: int, body: TaskCreate, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return service.add_task(store, user, party_id, body.title, body=body.body, owner=body.owner, due_at=body.due_at)


@router.post("/tasks/{task_id}/done")
def task_done(task_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return service.finish_task(store, user, task_id, "done")


@router.post("/tasks/{task_id}/cancel")
def task_cancel(task_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return service.finish_task(store, user, task_id, "cancelled")
