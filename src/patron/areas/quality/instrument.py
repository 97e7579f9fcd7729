"""The SERVQUAL instrument built in: 22 items in five dimensions, and default importance points.

The items are patron's own short wording of the instrument's statements; a firm edits them by passing its
own :class:`Instrument` (items keep their codes, which answers carry in ``feedback.item``). The codes
follow the demo company's survey tool: the dimension's first three letters and the item's number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from patron.errors import InvalidInput
from patron.store.vocabulary import SERVQUAL_DIMENSIONS


@dataclass(frozen=True)
class Item:
    code: str
    dimension: str
    wording: str


DEFAULT_ITEMS: tuple[Item, ...] = tuple(Item(c, d, w) for c, d, w in (
    ("TAN1", "tangibles", "Up-to-date equipment and tools"),
    ("TAN2", "tangibles", "Physical facilities and website that look appealing"),
    ("TAN3", "tangibles", "Staff who look neat and professional"),
    ("TAN4", "tangibles", "Materials (packaging, leaflets, invoices) that look right"),
    ("REL1", "reliability", "Doing what was promised by the time promised"),
    ("REL2", "reliability", "Sincere interest in solving a customer's problem"),
    ("REL3", "reliability", "Getting the service right the first time"),
    ("REL4", "reliability", "Delivering at the time promised"),
    ("REL5", "reliability", "Records kept free of errors"),
    ("RES1", "responsiveness", "Telling customers exactly when things will happen"),
    ("RES2", "responsiveness", "Prompt service"),
    ("RES3", "responsiveness", "Always willing to help"),
    ("RES4", "responsiveness", "Never too busy to answer a request"),
    ("ASS1", "assurance", "Staff whose behaviour instils confidence"),
    ("ASS2", "assurance", "Customers feel safe in their transactions"),
    ("ASS3", "assurance", "Staff who are consistently courteous"),
    ("ASS4", "assurance", "Staff with the knowledge to answer questions"),
    ("EMP1", "empathy", "Individual attention to each customer"),
    ("EMP2", "empathy", "Opening hours convenient to all customers"),
    ("EMP3", "empathy", "Staff who give customers personal attention"),
    ("EMP4", "empathy", "Having the customer's best interests at heart"),
    ("EMP5", "empathy", "Understanding each customer's specific needs"),
))
#: Importance points out of 100 when customers' own allocation is not recorded (typical published shares:
#: reliability matters most, tangibles least).
DEFAULT_IMPORTANCE = {"reliability": 32.0, "responsiveness": 22.0, "assurance": 19.0, "empathy": 16.0,
                      "tangibles": 11.0}


@dataclass(frozen=True)
class Instrument:
    items: tuple[Item, ...] = DEFAULT_ITEMS
    importance: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_IMPORTANCE))

    def __post_init__(self) -> None:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise InvalidInput("Each SERVQUAL item needs its own code.")
        unknown = {i.dimension for i in self.items} - set(SERVQUAL_DIMENSIONS)
        if unknown:
            raise InvalidInput(f"Unknown SERVQUAL dimension(s): {', '.join(sorted(unknown))}; "
                               f"the dimensions are {', '.join(SERVQUAL_DIMENSIONS)}.")
        if set(self.importance) - set(SERVQUAL_DIMENSIONS):
            raise InvalidInput("Importance points are given per SERVQUAL dimension.")

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions in the instrument's order (tangibles first, as the instrument lists them)."""
        seen: list[str] = []
        for i in self.items:
            if i.dimension not in seen:
                seen.append(i.dimension)
        return tuple(seen)


DEFAULT_INSTRUMENT = Instrument()
