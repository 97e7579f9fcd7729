"""``/api/v1`` bodies of background jobs: starting an analysis run, and a job's state."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from patron.api.schemas import Day, Int, UtcDateTime
from patron.service.analyze import MODELS
from patron.store.vocabulary import JOB_STATUSES, TIME_UNITS


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Day | None = None
    time_unit: Literal[TIME_UNITS] = "day"
    model: Literal[tuple(MODELS)] = "bgnbd"
    horizon_months: Int = Field(12, ge=1, le=120)
    monthly_discount_rate: float = Field(0.01, strict=True, ge=0, le=0.5)
    margin: float | None = Field(None, strict=True, gt=0, le=1)
    currency: str | None = Field(None, min_length=3, max_length=3)
    covariates: list[str] = Field(default_factory=list, max_length=10, description=(
        "Columns of the party record the purchase and dropout rates depend on (e.g. acquisition_channel), with "
        "model bgnbd or pareto; the run's result and diagnostics carry their coefficients (docs/models.md)."))


class JobPublic(BaseModel):
    job_id: str
    kind: str
    username: str
    status: Literal[JOB_STATUSES]
    step: str
    progress: float
    started_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    result: dict[str, Any] | None = Field(None, description="What the job produced: an import's report, a run's "
                                          "id and fitted parameters.")
    error: str | None = None
    position: int | None = Field(None, ge=1, description="While the job is queued behind others of its kind "
                                 "(analysis runs go one at a time): its place in the queue, 1 being next.")
