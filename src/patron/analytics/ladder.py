"""The ladder of loyalty: which rung each party stands on at a date, and who moved.

Rungs, from the bottom: ``suspect``, ``prospect``, ``customer``, ``client``,
``supporter``, ``advocate``, ``partner``. A party stands on the highest rung
whose rule holds at ``as_of``; only facts dated on or before ``as_of`` count
(a date means the end of that day). The rules are those of
:class:`LadderRules`; change a field to change a rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from patron.analytics.periods import as_of_instant, ordinal_of, period_ordinal
from patron.analytics.sources import Tables, table
from patron.analytics.summary import is_refund
from patron.store.vocabulary import RUNGS

if TYPE_CHECKING:
    import pandas as pd

#: Rung name → level 1..7, for sorting and for "moved up / down".
RUNG_LEVEL = {name: level for level, name in enumerate(RUNGS, start=1)}


@dataclass(frozen=True)
class LadderRules:
    """The rules of the ladder, checked from the top rung down.

    partner
        An organisation (``parties.kind = 'organisation'``) that bought in each
        of the ``partner_months`` calendar months before the month of
        ``as_of`` (an ongoing account invoiced every month; the month of
        ``as_of`` itself is still open and is not required).
    advocate
        Bought at least once and referred at least ``advocate_min_referrals``
        parties (``parties.referred_by`` points at it, for parties acquired
        by ``as_of``). With ``advocate_requires_promoter``, its latest NPS
        answer must also be a promoter score.
    supporter
        A client (below) whose latest NPS or CSAT answer is positive: NPS
        score ≥ ``promoter_min_nps`` (0–10 scale), or CSAT score /
        scale_max ≥ ``positive_csat_share`` (4 of 5 by default; a CSAT
        answer without ``scale_max`` is read on a 1–5 scale).
    client
        Purchases on at least ``client_min_purchase_days`` distinct days.
    customer
        At least one purchase (a transaction that is not a refund).
    prospect
        No purchase, but a contact on record (an interaction, a feedback
        answer or a complaint) or ``parties.category = 'prospect'``.
    suspect
        In the store, with none of the above.

    Only parties whose ``category`` is in ``categories`` are placed on the
    ladder (suppliers, competitors and staff are not), and only once they
    exist: created or acquired by ``as_of``, or with a fact dated by then.
    """

    partner_months: int = 6
    advocate_min_referrals: int = 1
    advocate_requires_promoter: bool = False
    promoter_min_nps: float = 9
    positive_csat_share: float = 0.8
    client_min_purchase_days: int = 2
    categories: tuple[str, ...] = ("customer", "ultimate_customer", "prospect")


def ladder_rung(
    tables: Tables, as_of: dt.datetime | dt.date | str, *, rules: LadderRules = LadderRules()
) -> ir.Table:
    """The rung of every party on the ladder of loyalty at ``as_of``.

    Parameters
    ----------
    tables
        A store, or a mapping with ``parties``, ``transactions``,
        ``interactions``, ``feedback`` and ``complaints``.
    as_of
        The date of the picture.
    rules
        The ladder's rules.

    Returns
    -------
    ibis.Table
        ``party_id``, ``rung`` (name), ``rung_level`` (1 = suspect …
        7 = partner), and the evidence: ``purchase_days``, ``contacted``
        (bool), ``positive_feedback`` (bool, latest NPS/CSAT positive),
        ``promoter`` (bool, latest NPS a promoter score), ``referrals``,
        ``partner_months`` (months bought in, of the ones required).
    """
    cutoff = ibis.literal(as_of_instant(as_of))
    parties = table(tables, "parties")
    tx = table(tables, "transactions")
    interactions = table(tables, "interactions")
    feedback = table(tables, "feedback")
    complaints = table(tables, "complaints")

    # Purchases: distinct purchase days, and months bought in for "partner".
    purchases = tx.filter(~is_refund(tx), tx.occurred_at <= cutoff)
    last_month = ordinal_of(as_of_instant(as_of), "month")
    days = purchases.select("party_id", day=period_ordinal(purchases.occurred_at, "day"),
                            month=period_ordinal(purchases.occurred_at, "month")).distinct()
    recent = days.month.between(last_month - rules.partner_months, last_month - 1)
    bought = days.group_by("party_id").aggregate(
        purchase_days=days.count(),
        partner_months=days.month.nunique(where=recent),
    )

    # Contacts: any interaction, feedback answer or complaint.
    contacts = (
        interactions.filter(interactions.occurred_at <= cutoff).select("party_id")
        .union(feedback.filter(feedback.occurred_at <= cutoff).select("party_id"))
        .union(complaints.filter(complaints.opened_at <= cutoff).select("party_id"))
        .distinct()
        .mutate(contacted=True)
    )

    # Latest NPS / CSAT answer.
    f = feedback.filter(feedback.occurred_at <= cutoff, feedback.instrument.isin(["nps", "csat"]),
                        feedback.score.notnull())
    positive = ibis.ifelse(
        f.instrument == "nps",
        f.score >= rules.promoter_min_nps,
        f.score / f.scale_max.fill_null(5.0) >= rules.positive_csat_share,
    )
    is_nps = f.instrument == "nps"
    opinions = f.group_by("party_id").aggregate(
        positive_feedback=positive.argmax(f.occurred_at),
        promoter=(f.score >= rules.promoter_min_nps).argmax(f.occurred_at, where=is_nps),
    )

    # Referrals: parties that name this one as their referrer.
    joined = ibis.coalesce(parties.acquired_at, parties.created_at)
    referred = parties.filter(parties.referred_by.notnull(), joined <= cutoff)
    referrals = referred.group_by(party_id=referred.referred_by).aggregate(referrals=referred.count())

    # Parties that exist at as_of.
    p = parties.filter(parties.category.isin(list(rules.categories)))
    with_facts = (
        tx.filter(tx.occurred_at <= cutoff).select("party_id").distinct().mutate(_has_facts=True)
    )
    base = p.select("party_id", "kind", "category",
                    _joined=ibis.least(p.created_at, ibis.coalesce(p.acquired_at, p.created_at)))
    base = (
        base.left_join(with_facts, "party_id").drop("party_id_right")
        .left_join(contacts, "party_id").drop("party_id_right")
        .left_join(bought, "party_id").drop("party_id_right")
        .left_join(opinions, "party_id").drop("party_id_right")
        .left_join(referrals, "party_id").drop("party_id_right")
    )
    b = base.mutate(
        purchase_days=base.purchase_days.fill_null(0),
        contacted=base.contacted.fill_null(False),
        positive_feedback=base.positive_feedback.fill_null(False),
        promoter=base.promoter.fill_null(False),
        referrals=base.referrals.fill_null(0),
        partner_months=base.partner_months.fill_null(0),
    )
    b = b.filter((b._joined <= cutoff) | b._has_facts.fill_null(False) | b.contacted)

    is_customer = b.purchase_days >= 1
    is_client = b.purchase_days >= rules.client_min_purchase_days
    is_advocate = is_customer & (b.referrals >= rules.advocate_min_referrals)
    if rules.advocate_requires_promoter:
        is_advocate = is_advocate & b.promoter
    rung = ibis.cases(
        ((b.kind == "organisation") & (b.partner_months >= rules.partner_months) & is_customer, "partner"),
        (is_advocate, "advocate"),
        (is_client & b.positive_feedback, "supporter"),
        (is_client, "client"),
        (is_customer, "customer"),
        (b.contacted | (b.category == "prospect"), "prospect"),
        else_="suspect",
    )
    level = ibis.cases(*[(rung == name, lvl) for name, lvl in RUNG_LEVEL.items()])
    return b.select(
        "party_id",
        rung=rung,
        rung_level=level.cast("int64"),
        purchase_days=b.purchase_days.cast("int64"),
        contacted=b.contacted,
        positive_feedback=b.positive_feedback,
        promoter=b.promoter,
        referrals=b.referrals.cast("int64"),
        partner_months=b.partner_months.cast("int64"),
    )


def ladder_migration(
    tables: Tables,
    from_date: dt.datetime | dt.date | str,
    to_date: dt.datetime | dt.date | str,
    *,
    rules: LadderRules = LadderRules(),
) -> ir.Table:
    """How many parties moved from each rung at ``from_date`` to each rung at ``to_date``.

    Returns
    -------
    ibis.Table
        ``from_rung``, ``to_rung``, ``parties`` (count), ``from_level``,
        ``to_level`` — one row per non-empty cell of the migration matrix.
        A party not yet on the ladder at ``from_date`` has ``from_rung =
        'new'`` (level 0). Pivot it with ``rung_matrix`` (pandas) for display.
    """
    before = ladder_rung(tables, from_date, rules=rules).select("party_id", from_rung="rung",
                                                                from_level="rung_level")
    after = ladder_rung(tables, to_date, rules=rules).select("party_id", to_rung="rung", to_level="rung_level")
    moves = after.left_join(before, "party_id")
    moves = moves.mutate(
        from_rung=moves.from_rung.fill_null("new"),
        from_level=moves.from_level.fill_null(0),
    )
    return (
        moves.group_by(["from_rung", "to_rung", "from_level", "to_level"])
        .aggregate(parties=moves.count())
        .select("from_rung", "to_rung", "parties", "from_level", "to_level")
        .order_by(["from_level", "to_level"])
    )


def rung_matrix(migration) -> pd.DataFrame:
    """Pivot an executed :func:`ladder_migration` into a rung × rung count table (pandas)."""
    import pandas as pd

    df = migration.to_pandas() if hasattr(migration, "to_pandas") else pd.DataFrame(migration)
    rows = ["new", *RUNGS]
    m = df.pivot_table(index="from_rung", columns="to_rung", values="parties", aggfunc="sum", fill_value=0)
    return m.reindex(index=rows, columns=list(RUNGS), fill_value=0).astype("int64")
