"""The rules the account view and the portfolio apply, as settings a user can change (issue 15): the weights
of relationship strength, Ford's and Wilson's stage thresholds, when a champion has gone quiet, when an
account is single-threaded, and Bensaou's cut-offs. A store keeps its own as TOML in the ``settings`` row
``relationship_rules`` (:func:`relationship_rules`, :func:`set_relationship_rules`; ``patron
relationship-rules``, ``GET/PUT /api/v1/relationship-rules``); a section or field left out keeps its
default. For example::

    [strength]            # relationship strength (seed 003): weights of its five parts, normalised
    recency = 0.4
    frequency = 0.2
    half_life_days = 60

    [ford_stages]         # seed 000: Ford's development stages
    long_term_days = 730

    [wilson_stages]       # Wilson's five stages from the records
    maintenance_days = 1095

    [champion_quiet]      # a supporter of influence 4+ silent for 90+ days and 4 x their usual gap
    days = 120

    [single_threaded]     # at most this many engaged contacts (an interaction in engaged_days)
    max_engaged = 1
    engaged_days = 90

    [bensaou]             # a specific investment rated this high (1-5) or more is high
    buyer_high = 3
    supplier_high = 3.5
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields

from patron.act.rules import read_settings
from patron.analytics.relationships import FordRules, StrengthWeights, WilsonRules
from patron.errors import InvalidInput
from patron.service.audit import change_settings
from patron.service.permissions import User
from patron.store import Store

#: The ``settings`` row holding the store's relationship rules (TOML).
RELATIONSHIP_RULES_SETTING = "relationship_rules"


@dataclass(frozen=True)
class ChampionQuiet:
    """A champion (a supporter of ``champion_influence`` or more) has gone quiet when their silence is longer
    than ``days`` and than ``gaps`` times their usual gap between contacts (the mean gap over the
    ``rhythm_days`` up to their last contact, read from at least ``min_contacts`` contacts): a silence their
    own rhythm does not explain. On the demo this raised the alert's precision from 0.04 to 0.29."""

    days: int = 90
    gaps: float = 4.0
    rhythm_days: int = 730
    min_contacts: int = 3
    champion_influence: float = 4.0

    def __post_init__(self):
        if self.days <= 0 or self.gaps <= 0 or self.rhythm_days <= 0 or self.min_contacts < 2:
            raise ValueError("days, gaps and rhythm_days must be positive and min_contacts at least 2 "
                             "(a usual gap needs two contacts)")
        if not 1 <= self.champion_influence <= 5:
            raise ValueError("champion_influence is an influence rating from 1 to 5")


@dataclass(frozen=True)
class SingleThreaded:
    """An account is single-threaded with at most ``max_engaged`` engaged contacts; a contact is engaged with
    an interaction in the last ``engaged_days`` (the same days count engaged stakeholders everywhere)."""

    max_engaged: int = 1
    engaged_days: int = 90

    def __post_init__(self):
        if self.max_engaged < 0 or self.engaged_days <= 0:
            raise ValueError("max_engaged must not be negative and engaged_days must be positive")


@dataclass(frozen=True)
class BensaouCutoffs:
    """A relationship-specific investment rated ``buyer_high`` (the buyer's) or ``supplier_high`` (the
    supplier's) or more, on 1-5, is high (seed 000: Bensaou's portfolio)."""

    buyer_high: float = 3.0
    supplier_high: float = 3.0

    def __post_init__(self):
        if not (1 <= self.buyer_high <= 5 and 1 <= self.supplier_high <= 5):
            raise ValueError("the cut-offs are ratings from 1 to 5")


@dataclass(frozen=True)
class RelationshipRules:
    """Every rule of the account view, each part with its documented defaults."""

    strength: StrengthWeights = field(default_factory=StrengthWeights)
    ford_stages: FordRules = field(default_factory=FordRules)
    wilson_stages: WilsonRules = field(default_factory=WilsonRules)
    champion_quiet: ChampionQuiet = field(default_factory=ChampionQuiet)
    single_threaded: SingleThreaded = field(default_factory=SingleThreaded)
    bensaou: BensaouCutoffs = field(default_factory=BensaouCutoffs)

    def as_dict(self) -> dict[str, dict]:
        return {f.name: asdict(getattr(self, f.name)) for f in fields(self)}


DEFAULT_RULES = RelationshipRules()
SECTIONS = {f.name: type(getattr(DEFAULT_RULES, f.name)) for f in fields(RelationshipRules)}


def rules_from_toml(text: str) -> RelationshipRules:
    """Relationship rules from TOML (sections and fields as :data:`DEFAULT_RULES`; what is left out keeps its
    default); an error names the section and the field."""
    try:
        conf = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"The relationship rules are not valid TOML: {exc}") from None
    unknown = sorted(set(conf) - set(SECTIONS))
    if unknown:
        raise InvalidInput(f"Unknown section(s) {', '.join(f'[{u}]' for u in unknown)} in the relationship rules; "
                           f"the sections are {', '.join(f'[{s}]' for s in SECTIONS)}.")
    parts = {}
    for name, kind in SECTIONS.items():
        given = conf.get(name, {})
        if not isinstance(given, dict):
            raise InvalidInput(f"[{name}] must be a section of fields, not a single value.")
        defaults = asdict(getattr(DEFAULT_RULES, name))
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise InvalidInput(f"[{name}]: unknown field(s) {', '.join(unknown)}; its fields are "
                               f"{', '.join(defaults)}.")
        values = {}
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"[{name}] {key} must be a number, not {value!r}.")
            values[key] = type(defaults[key])(value) if isinstance(defaults[key], float) else value
            if isinstance(defaults[key], int) and not isinstance(value, int):
                raise InvalidInput(f"[{name}] {key} must be a whole number, not {value!r}.")
        try:
            parts[name] = kind(**{**defaults, **values})
        except ValueError as exc:
            raise InvalidInput(f"[{name}]: {exc}.") from None
    return RelationshipRules(**parts)


def rules_to_toml(rules: RelationshipRules) -> str:
    """The rules as TOML, every field written out (what ``patron relationship-rules`` prints)."""
    lines = []
    for name, values in rules.as_dict().items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {v!r}" for k, v in values.items())
        lines.append("")
    return "\n".join(lines)


def relationship_rules(store: Store) -> RelationshipRules:
    """The store's relationship rules: the TOML in the ``settings`` row ``relationship_rules``, else the
    defaults."""
    text = read_settings(store, RELATIONSHIP_RULES_SETTING).get(RELATIONSHIP_RULES_SETTING)
    return rules_from_toml(text) if text else DEFAULT_RULES


def set_relationship_rules(store: Store, user: User | None, text: str) -> RelationshipRules:
    """Keep ``text`` (TOML) as the store's relationship rules once it is valid (audited); an empty text goes
    back to the defaults. ``user`` None: the local operator of the ``patron`` command."""
    if user is not None:
        user.require("relationship_rules.manage")
    text = (text or "").strip()
    rules = rules_from_toml(text) if text else DEFAULT_RULES
    change_settings(store, user, {RELATIONSHIP_RULES_SETTING: text or None})
    return rules
