"""``/api/v1/accounts``, links and assessments of a party, and ``/api/v1/network``."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from patron.api.deps import StoreDep, allowed
from patron.api.schemas import Moment
from patron.areas.accounts import relationship_rules, service
from patron.areas.accounts.schemas import (
    AccountRollup,
    AccountRow,
    AccountView,
    AssessmentCreate,
    AssessmentPublic,
    LinkCreate,
    LinkPublic,
    NetworkSummary,
    RelationshipRulesPublic,
    RelationshipRulesUpdate,
)
from patron.errors import InvalidInput
from patron.service.permissions import User

router = APIRouter(tags=["accounts"])
PartyId = Annotated[int, Path(ge=1, le=2**62)]
Weight = Annotated[float | None, Query(ge=0, le=100)]


def _weights(store, recency, frequency, reciprocity, depth, seniority):
    """The store's strength weights, with those given in the request in their place (None: none given)."""
    given = {"recency": recency, "frequency": frequency, "reciprocity": reciprocity, "depth": depth,
             "seniority": seniority}
    if all(v is None for v in given.values()):
        return None
    stored = relationship_rules.relationship_rules(store).strength
    try:
        return replace(stored, **{k: v for k, v in given.items() if v is not None})
    except ValueError as e:
        raise InvalidInput(str(e).capitalize() + ".") from None


@router.get("/accounts", response_model=list[AccountRow])
def list_accounts(store: StoreDep, user: Annotated[User, allowed("customers.read")],
                  as_of: Moment | None = None) -> list[AccountRow]:
    """Every account: its stage, Bensaou quadrant, strength, place in the relationship matrix and alerts."""
    return [AccountRow(**r) for r in service.accounts(store, user, as_of=as_of)]


@router.get("/accounts/{party_id}", response_model=AccountView)
def account(party_id: PartyId, store: StoreDep, user: Annotated[User, allowed("customers.read")],
            as_of: Moment | None = None, recency: Weight = None, frequency: Weight = None,
            reciprocity: Weight = None, depth: Weight = None, seniority: Weight = None) -> AccountView:
    """An organisation's people, org chart, stakeholder grid, buying-centre coverage, alerts, team, activity,
    strength, trust, stage with its evidence, Bensaou quadrant and matrix cell, by the store's relationship
    rules (``/relationship-rules``); a strength weight given here replaces the stored one for this answer."""
    weights = _weights(store, recency, frequency, reciprocity, depth, seniority)
    return AccountView(**service.account_view(store, user, party_id, as_of=as_of, weights=weights))


@router.get("/accounts/{party_id}/rollup", response_model=AccountRollup)
def account_rollup(party_id: PartyId, store: StoreDep, user: Annotated[User, allowed("customers.read")],
                   as_of: Moment | None = None) -> AccountRollup:
    """The account with its subsidiaries (``parent_of``) and their sites (``location_of``), at any depth: each
    one's value, people, activity in the last 365 days and health (strength, engaged contacts), and the group's
    totals. An account that heads no group is its own only member."""
    found = service.group_rollups(store, user, party_id, as_of=as_of)
    return AccountRollup(as_of=found["as_of"], **found["groups"][0])


@router.get("/parties/{party_id}/links", response_model=list[LinkPublic])
def links(party_id: PartyId, store: StoreDep, user: Annotated[User, allowed("customers.read")]) -> list[LinkPublic]:
    """Every link of the party, either way."""
    return [LinkPublic(**r) for r in service.links_of(store, user, party_id)]


@router.post("/parties/{party_id}/links", response_model=LinkPublic, status_code=status.HTTP_201_CREATED)
def add_link(party_id: PartyId, body: LinkCreate, store: StoreDep,
             user: Annotated[User, allowed("customers.write")]) -> LinkPublic:
    """Link the party to another: works for, reports to, a buying-centre role, referred, account team..."""
    data = body.model_dump()
    other, kind = data.pop("other_party_id"), data.pop("link_type")
    return LinkPublic(**service.add_link(store, user, party_id, other, kind, **data))


@router.get("/parties/{party_id}/assessments", response_model=list[dict])
def assessments(party_id: PartyId, store: StoreDep, user: Annotated[User, allowed("customers.read")],
                form: str | None = Query(None, max_length=40)) -> list[dict]:
    """Every answer given about the party, oldest first (the history of its trust, stakeholder map...)."""
    return service.assessment_history(store, user, party_id, form)


@router.post("/parties/{party_id}/assessments", response_model=AssessmentPublic,
             status_code=status.HTTP_201_CREATED)
def add_assessment(party_id: PartyId, body: AssessmentCreate, store: StoreDep,
                   user: Annotated[User, allowed("customers.write")]) -> AssessmentPublic:
    """Record a filled-in form about the party; earlier ones are kept as its history."""
    return AssessmentPublic(**service.add_assessment(store, user, party_id, body.form, body.answers,
                                                     asked_of=body.asked_of, note=body.note))


@router.get("/network", response_model=NetworkSummary)
def network(store: StoreDep, user: Annotated[User, allowed("customers.read")],
            without_staff: bool = False) -> NetworkSummary:
    """The firm's network of links and referrals: referral reach and value, communities, bridges, homophily.
    Communities and bridges leave out the firm's own party (and its staff with ``without_staff``)."""
    summary = service.network_summary(store, user, without_staff=without_staff)
    summary.pop("community_of")
    return NetworkSummary(**summary)


def _rules_public(rules) -> RelationshipRulesPublic:
    return RelationshipRulesPublic(rules=rules.as_dict(), toml=relationship_rules.rules_to_toml(rules))


@router.get("/relationship-rules", response_model=RelationshipRulesPublic)
def get_relationship_rules(store: StoreDep, user: Annotated[User, allowed("customers.read")]) -> RelationshipRulesPublic:
    """The rules the account view applies: strength weights, Ford's and Wilson's stage thresholds, champion gone
    quiet, single-threaded, Bensaou's cut-offs."""
    return _rules_public(relationship_rules.relationship_rules(store))


@router.put("/relationship-rules", response_model=RelationshipRulesPublic)
def put_relationship_rules(body: RelationshipRulesUpdate, store: StoreDep,
                           user: Annotated[User, allowed("relationship_rules.manage")]) -> RelationshipRulesPublic:
    """Replace the relationship rules with the TOML given (checked first: nothing is kept from an invalid text;
    a section or field left out keeps its default; an empty text restores every default)."""
    return _rules_public(relationship_rules.set_relationship_rules(store, user, body.toml))
