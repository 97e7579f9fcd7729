"""``/api/v1/overview``: the figures of the first page, with their currency and the date they are as of."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import UtcDateTime
from patron.areas.overview.service import overview_numbers

router = APIRouter(tags=["overview"])


class OverviewNumbers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: UtcDateTime | None = Field(description="The newest transaction: every figure is as of it.")
    currency: str | None = Field(None, description="The currency of the money figures (the current run's).")
    revenue_12m: float | None = Field(None, description="Revenue of the 12 months to as_of, net of refunds (the "
                                                        "figure of the overview page and of patron analyze).")
    active_customers: int | None = None
    parties: int | None = None
    retention_rate: float | None = None
    retained: int | None = None
    previous: int | None = None
    total_clv: float | None = Field(None, description="The current run's CLV of every customer.")
    run_id: int | None = None
    run_as_of: UtcDateTime | None = None


@router.get("/overview", response_model=OverviewNumbers)
def get_overview(store: StoreDep, user: CurrentUser) -> OverviewNumbers:
    """Customers, net revenue and retention over the last 12 months, and the current run's total CLV."""
    return OverviewNumbers(**overview_numbers(store))
