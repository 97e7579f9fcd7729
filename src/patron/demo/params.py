"""The true parameters of the demo company: what analysis should recover.

Time inside the simulator is measured in **weeks** from :data:`START`
(the day the firm opened its webshop). Rates (``lambda``) are purchases per
week; the BG/NBD ``alpha`` is in the same unit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

#: The firm's history is fixed, so that a seed gives the same files whatever day it runs.
START = datetime(2023, 1, 1, tzinfo=UTC)
END = datetime(2025, 12, 31, tzinfo=UTC)
WEEK_S = 7 * 24 * 3600

#: Acquisition channel -> (share of new customers, mean cost per acquired customer in EUR).
CHANNELS: dict[str, tuple[float, float]] = {
    "paid_search": (0.30, 38.0),
    "social_media": (0.20, 29.0),
    "organic_search": (0.17, 6.0),
    "affiliate": (0.10, 24.0),
    "print_mailing": (0.06, 45.0),
    "referral": (0.17, 9.0),  # referred customers are acquired cheaper
}

#: True SERVQUAL gap (perception - expectation, 7-point scale) per dimension.
SERVQUAL_GAPS: dict[str, float] = {
    "reliability": -1.1,
    "responsiveness": -0.8,
    "assurance": -0.3,
    "empathy": -0.5,
    "tangibles": 0.2,
}


@dataclass(frozen=True)
class ChurnLink:
    """How the service record of a customer is tied to their dropout.

    In the simulator a customer's dropout comes from the BG/NBD process; the
    service record is then drawn *conditional* on it, so that the people who
    leave show the warning signs a firm would see: a complaint about their
    final order, slow and poor handling of it, a low NPS, worse SERVQUAL
    perceptions and withdrawn consent.
    """

    complaint_prob_final_order: float = 0.40  # churners: complaint about the last order before dropout
    complaint_prob_other_order: float = 0.02  # any other order
    first_response_hours_churner: float = 60.0  # mean hours to first response, churners' final complaint
    first_response_hours_other: float = 8.0
    resolution_days_churner: float = 12.0  # mean days from opening to resolution
    resolution_days_other: float = 3.0
    unresolved_share_churner: float = 0.35  # share of churners' final complaints never resolved
    unresolved_share_other: float = 0.05
    satisfaction_after_churner: float = 1.8  # mean satisfaction after resolution, 1-5 scale
    satisfaction_after_other: float = 4.0
    nps_mean_final_order: float = 3.5  # mean NPS answer (0-10) after a churner's final order
    nps_mean_other: float = 8.2
    servqual_perception_shift_churner: float = -0.8  # respondents who drop out within 26 weeks
    consent_withdrawal_prob_churner: float = 0.40  # withdraw email consent within 8 weeks of dropout
    consent_withdrawal_prob_other: float = 0.04


@dataclass(frozen=True)
class DemoParameters:
    """Everything random in the demo company is drawn from these numbers.

    Attributes
    ----------
    r, alpha
        Purchase rate per week ``lambda ~ Gamma(shape=r, rate=alpha)``.
    a, b
        Dropout probability after each repeat purchase ``p ~ Beta(a, b)``.
    gg_p, gg_q, gg_gamma
        Gamma-Gamma spend: ``nu ~ Gamma(shape=q, rate=gamma)`` per customer,
        each order's value ``z ~ Gamma(shape=p, rate=nu)``; the customer's true
        mean spend is ``p / nu`` and the population mean ``p * gamma / (q - 1)``.
    acquisition_weeks
        New customers arrive over this many weeks after :data:`START`, at a
        rate growing linearly by ``acquisition_growth`` (x over the period).
    duplicate_share
        Share of customers who register a second time (typo in name or email).
    b2b_accounts_per_customer
        Organisations per B2C customer (at least 5 organisations).
    """

    r: float = 0.55
    alpha: float = 10.0
    a: float = 0.80
    b: float = 3.00
    gg_p: float = 6.0
    gg_q: float = 4.0
    gg_gamma: float = 30.0
    acquisition_weeks: float = 143.0  # to the end of September 2025
    acquisition_growth: float = 2.0
    duplicate_share: float = 0.02
    refund_share: float = 0.03  # order lines refunded
    contact_share: float = 0.12  # orders followed by a call-centre contact
    nps_invite_share: float = 0.25
    nps_response_share: float = 0.35
    servqual_sample_share: float = 0.05
    servqual_response_share: float = 0.30
    b2b_accounts_per_customer: float = 0.01
    churn: ChurnLink = field(default_factory=ChurnLink)

    @property
    def observation_weeks(self) -> float:
        return (END - START).total_seconds() / WEEK_S

    def as_dict(self) -> dict:
        return asdict(self)
