"""``/api/v1/diagnostics``: the current run's model diagnostics; ``/api/v1/parties/{party_id}/alive``: a
customer's P(alive) history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter

from patron.api.deps import StoreDep, allowed
from patron.areas.diagnostics import service
from patron.service.permissions import User

router = APIRouter(tags=["diagnostics"])


@router.get("/diagnostics")
def diagnostics(store: StoreDep, user: Annotated[User, allowed(service.ACTION)], run_id: int | None = None,
                split: dt.date | None = None) -> dict[str, Any]:
    """Period transactions (customers by repeat purchases, actual and expected), P(X(t)=n) over the run's horizon,
    the frequency/recency matrices of expected purchases next month and P(alive), and weekly tracking (cumulative
    and incremental) of the model refitted up to ``split`` (default: two thirds of the history) through the
    holdout."""
    when = dt.datetime.combine(split, dt.time.max) if split else None
    return service.diagnostics(store, user, run_id=run_id, split=when)


@router.get("/parties/{party_id}/alive")
def alive_history(party_id: int, store: StoreDep, user: Annotated[User, allowed(service.ACTION)],
                  run_id: int | None = None) -> dict[str, Any]:
    """The party's P(alive) in each period from their first purchase to the run's as-of date, with the frequency,
    recency and age it was computed from."""
    return service.customer_alive_history(store, user, party_id, run_id=run_id)
