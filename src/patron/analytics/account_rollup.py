"""An account group's roll-up as an Ibis expression (issue 15): every account that heads others through
``parent_of`` (a subsidiary) and ``location_of`` (a site), at any depth, with the value, activity and health
of the whole group, so DuckDB, PostgreSQL and Spark over a lake compute what the account view's roll-up
(:func:`patron.areas.accounts.service.rollup`) shows.

Per head account: ``members`` (accounts in the group, the head included), ``people`` (each member's people:
a ``works_for`` or ``buying_role`` link current on the day, or ``parties.organisation_id``), ``revenue``
(transactions of each member and its people up to ``as_of``), ``activity_365d`` (their interactions in the
365 days to ``as_of``) and ``engaged`` (people with an interaction in the last ``engaged_days``). A person of
two members counts in each, as the account view counts them. Relationship strength, which reads job titles
and channel depth per contact, stays in the account view.

The links' closure is found by joining the links to themselves until no new (top, member) pair appears:
one small query per level of the deepest group (the demo's are 2 deep).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

ROLLUP_LINKS = ("parent_of", "location_of")
PEOPLE_LINKS = ("works_for", "buying_role")
#: Deeper than this a hierarchy is taken to loop back (a circle imported from elsewhere) and is cut.
MAX_DEPTH = 32


def _current(links: ir.Table, kinds: tuple[str, ...], day: dt.date) -> ir.Table:
    return links.filter(links.link_type.isin(kinds), links.until.isnull() | (links.until >= ibis.literal(day)))


def _pairs(t: ir.Table, top: ir.Column, member: ir.Column) -> ir.Table:
    """``(top, member)`` as nullable int64 columns, so any two can be united (key columns are NOT NULL)."""
    return t.select(top=top.cast(ibis.dtype("int64", nullable=True)),
                    member=member.cast(ibis.dtype("int64", nullable=True)))


def _count(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows meet ``condition`` (PostgreSQL casts no boolean to bigint, so no cast-and-sum)."""
    return ibis.ifelse(condition, 1, 0).cast("int64").sum()


def group_members(tables, as_of: dt.datetime) -> ir.Table:
    """``(top, member)`` for every account below another through the roll-up links current on ``as_of``,
    at any depth; a circle is not followed back to its head."""
    edges = _current(tables.table("party_links"), ROLLUP_LINKS, as_of.date())
    edges = edges.select(parent=edges.party_id, child=edges.other_party_id).distinct()
    pairs = _pairs(edges, edges.parent, edges.child).filter(lambda t: t.top != t.member)
    count = pairs.count().execute()
    for _ in range(MAX_DEPTH):
        joined = pairs.join(edges, pairs.member == edges.parent)
        step = _pairs(joined, joined.top, joined.child)
        grown = pairs.union(step.filter(step.top != step.member), distinct=True)
        n = grown.count().execute()
        pairs = grown
        if n == count:
            break
        count = n
    return pairs


def account_rollup(tables, as_of: dt.datetime, engaged_days: int = 90) -> ir.Table:
    """Per head account (``party_id``): ``members``, ``people``, ``revenue``, ``activity_365d`` and ``engaged``
    of its whole group (``tables``: any engine, :class:`patron.engines.AnalysisEngine`)."""
    at = ibis.literal(as_of)
    below = group_members(tables, as_of)
    heads = below.select(top=below.top).distinct()
    group = _pairs(heads, heads.top, heads.top).union(below, distinct=True)
    links = _current(tables.table("party_links"), PEOPLE_LINKS, as_of.date())
    parties = tables.table("parties")
    staff = parties.filter(parties.organisation_id.notnull())
    people = _pairs(links, links.other_party_id, links.party_id).union(
        _pairs(staff, staff.organisation_id, staff.party_id), distinct=True).rename(account="top", party="member")
    # Who counts for each member: its people and itself (a person in two members counts in each).
    counted = group.join(people, group.member == people.account).select(
        top=group.top, member=group.member, party=people.party, person=ibis.literal(True)).union(
        group.select(top=group.top, member=group.member, party=group.member, person=ibis.literal(False)))
    tx = tables.table("transactions")
    value = tx.filter(tx.occurred_at <= at).group_by(party=tx.party_id).aggregate(
        revenue=tx.revenue.cast("float64").sum())
    ix = tables.table("interactions")
    seen = ix.filter(ix.occurred_at <= at).group_by(party=ix.party_id).aggregate(
        last_contact=ix.occurred_at.max(),
        recent=_count(ix.occurred_at > at - ibis.interval(days=365)))
    rows = counted.left_join(value, counted.party == value.party).select(
        counted.top, counted.member, counted.party, counted.person, revenue=value.revenue.fill_null(0.0))
    rows = rows.left_join(seen, rows.party == seen.party).select(
        rows.top, rows.member, rows.person, rows.revenue, recent=seen.recent.fill_null(0),
        engaged=(rows.person & seen.last_contact.notnull()
                 & (seen.last_contact > at - ibis.interval(days=engaged_days + 1))).fill_null(False))
    return rows.group_by(party_id=rows.top).aggregate(
        members=rows.member.nunique(), people=_count(rows.person), revenue=rows.revenue.sum(),
        activity_365d=rows.recent.sum(), engaged=_count(rows.engaged)).order_by("party_id")
