"""The ladder of loyalty: which rung each party stands on at a date, why, and who moved.

Rungs, from the bottom (seed 003: suspect to partner, climbed through trust and
added value; seed 001: prospect, customer, client, supporter, advocate):
``suspect``, ``prospect``, ``customer``, ``client``, ``supporter``,
``advocate``, ``partner``, and below them the state ``lapsed``: a party who
bought but has not been active for the configured time, or whose probability
of being alive is low, steps off the ladder (seed 004: relationships weaken
unless they are continuously refreshed). Only facts dated on or before
``as_of`` count (a date means the end of that day). The rules are those of
:class:`LadderRules`, checked from the top down; ``docs/ladder.md`` lists each
with the seed concept it encodes, and a TOML file can change them
(:func:`ladder_rules_from`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from patron.analytics.periods import as_of_instant, ordinal_of, period_ordinal
from patron.analytics.sources import Tables, table
from patron.analytics.summary import is_refund
from patron.errors import InvalidInput
from patron.store.vocabulary import LADDER_STATES, LAPSED, RUNGS

if TYPE_CHECKING:
    import pandas as pd

#: State name → level: 0 = lapsed, 1 = suspect … 7 = partner (for sorting and "moved up / down").
RUNG_LEVEL = {name: level for level, name in enumerate(LADDER_STATES)}


@dataclass(frozen=True)
class LadderRules:
    """The rules of the ladder (defaults and the seed behind each: ``docs/ladder.md``).

    lapsed
        Bought at least once, but neither bought nor collaborated for more than
        ``lapse_after_days`` (``lapse_after_days_organisation`` for a firm,
        which buys on account), or its probability alive (when a value run
        gives one) is below ``lapse_p_alive``.
    partner
        A current repeat buyer (``partner_min_purchase_days``) with at least
        ``partner_min_collaborations`` records of working together in the last
        ``partner_window_days``: an interaction whose subject contains one of
        ``partner_subjects`` (co-creation, panel, joint planning, contract...)
        or a feedback answer of an instrument in ``partner_instruments``.
        Persons and firms alike.
    advocate
        A supporter who recommends actively: ``advocate_min_referrals``
        referred parties who bought, or ``advocate_min_reviews`` positive
        reviews (or a promoter NPS answer, with ``promoter_is_recommendation``);
        and only by climbing: a customer for ``advocate_min_tenure_days`` with
        ``advocate_min_purchase_days`` purchase days.
    supporter
        A client whose latest NPS answer is ≥ ``positive_min_nps`` or latest
        CSAT share ≥ ``positive_csat_share``, or who holds a granted consent of
        a purpose in ``loyalty_purposes`` (loyalty membership).
    client
        Purchases on at least ``client_min_purchase_days`` distinct days, and
        not lapsed (a current relationship).
    customer
        At least one purchase (a transaction that is not a refund).
    prospect
        No purchase, but interest shown: an inbound interaction or one on a
        channel in ``interest_channels`` (a visit, an event), a feedback
        answer, a complaint, a granted consent (a sign-up), or
        ``parties.category = 'prospect'``.
    suspect
        In the target market (``categories``), with none of the above.

    With ``stakeholders_to_organisation`` a person who belongs to an
    organisation (``parties.organisation_id``) is not placed on the ladder
    (its ``rung`` is null, and its reason says why): the contacts, feedback
    and complaints of its staff count for the firm.
    """

    lapse_after_days: int = 365
    lapse_after_days_organisation: int = 120
    lapse_p_alive: float = 0.1
    partner_subjects: tuple[str, ...] = ("co-creation", "panel", "joint planning", "advisory", "contract")
    partner_instruments: tuple[str, ...] = ("panel",)
    partner_min_collaborations: int = 1
    partner_window_days: int = 365
    partner_min_purchase_days: int = 2
    advocate_min_referrals: int = 1
    advocate_min_reviews: int = 1
    promoter_is_recommendation: bool = False
    promoter_min_nps: float = 9
    advocate_min_tenure_days: int = 180
    advocate_min_purchase_days: int = 3
    positive_min_nps: float = 7
    positive_csat_share: float = 0.8
    loyalty_purposes: tuple[str, ...] = ("loyalty",)
    client_min_purchase_days: int = 2
    interest_channels: tuple[str, ...] = ("face_to_face", "event", "web")
    categories: tuple[str, ...] = ("customer", "ultimate_customer", "prospect")
    stakeholders_to_organisation: bool = True


def ladder_rules_from(source: str | Path | dict | None) -> LadderRules:
    """The rules of a TOML file (its ``[ladder]`` table, or the whole file), defaults for what it omits.

    Raises :class:`~patron.errors.InvalidInput` naming an unknown rule or a value of the wrong type.
    """
    if source is None:
        return LadderRules()
    if isinstance(source, dict):
        data, where = source, "the ladder rules"
    else:
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidInput(f"The rules file {path} does not exist.") from None
        except tomllib.TOMLDecodeError as e:
            raise InvalidInput(f"The rules file {path} is not valid TOML: {e}.") from None
        data, where = data.get("ladder", data), f"[ladder] of {path}"
    known = {f.name: f for f in fields(LadderRules)}
    defaults = LadderRules()
    values = {}
    for key, value in data.items():
        if key not in known:
            raise InvalidInput(f"Unknown ladder rule '{key}' in {where}. Rules: {', '.join(known)}.")
        default = getattr(defaults, key)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(f"Ladder rule '{key}' in {where} must be a list of words.")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise InvalidInput(f"Ladder rule '{key}' in {where} must be true or false.")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InvalidInput(f"Ladder rule '{key}' in {where} must be a number of at least 0, not {value!r}.")
        values[key] = value
    return LadderRules(**values)


def _consents(tables: Tables, parties: ir.Table) -> ir.Table:
    """The consents table, or an empty one where the source has none (a firm's own tables)."""
    try:
        return table(tables, "consents")
    except KeyError:
        return parties.filter(ibis.literal(False)).select(
            "party_id", purpose=ibis.literal("", "string"), granted=ibis.literal(False),
            recorded_at=ibis.literal(None, "timestamp"))


def _text(value: ir.Value) -> ir.StringValue:
    return value.cast("int64").cast("string")


def _days_between(later: ir.Value, earlier: ir.TimestampValue) -> ir.IntegerValue:
    return later - period_ordinal(earlier, "day")


def ladder_rung(
    tables: Tables, as_of: dt.datetime | dt.date | str, *, rules: LadderRules = LadderRules(),
    p_alive: ir.Table | None = None, days: ir.Table | None = None,
) -> ir.Table:
    """The rung (or ``lapsed``) of every party on the ladder of loyalty at ``as_of``, with its reason.

    Parameters
    ----------
    tables
        A store, or a mapping with ``parties``, ``transactions``,
        ``interactions``, ``feedback``, ``complaints`` and ``consents``.
    as_of
        The date of the picture.
    rules
        The ladder's rules.
    p_alive
        Optional ``party_id``, ``p_alive`` (a value run's): a buyer below
        ``rules.lapse_p_alive`` is lapsed.
    days
        Optional :func:`patron.analytics.summary.purchase_days` for the same ``as_of``: the purchases are
        read from it instead of being grouped again (the same result).

    Returns
    -------
    ibis.Table
        ``party_id``, ``rung``, ``rung_level`` (0 = lapsed, 1 = suspect …
        7 = partner), ``rung_reason`` (in words: "advocate because …"), and
        the evidence: ``purchase_days``, ``days_since_purchase``,
        ``tenure_days``, ``interested``, ``positive_feedback``, ``promoter``,
        ``loyalty_member``, ``referrals`` (referred parties who bought),
        ``reviews`` (positive), ``collaborations`` (in the window).
    """
    cutoff_instant = as_of_instant(as_of)
    cutoff = ibis.literal(cutoff_instant)
    today = ibis.literal(ordinal_of(cutoff_instant, "day"))
    parties = table(tables, "parties")
    tx = table(tables, "transactions")
    interactions = table(tables, "interactions")
    feedback = table(tables, "feedback")
    complaints = table(tables, "complaints")
    consents = _consents(tables, parties)
    # A firm's own parties table may have no organisation links: then nobody is a stakeholder.
    stakeholders = rules.stakeholders_to_organisation and "organisation_id" in parties.columns
    if "organisation_id" not in parties.columns:
        parties = parties.mutate(organisation_id=ibis.null("int64"))

    # Stakeholders' facts count for their organisation (seed 003: the relationship is with the firm).
    if stakeholders:
        staff = parties.filter(parties.organisation_id.notnull()).select(
            _staff=parties.party_id, _org=parties.organisation_id)

        def owned(t: ir.Table) -> ir.Table:
            j = t.left_join(staff, t.party_id == staff._staff)
            return j.mutate(party_id=ibis.coalesce(j._org, j.party_id)).drop("_staff", "_org")

        interactions, feedback, complaints, consents = (owned(t) for t in (interactions, feedback, complaints, consents))

    # Purchases: distinct purchase days, first and last.
    if days is not None:
        bought = days.group_by("party_id").aggregate(
            purchase_days=days.count(), first_purchase=days.first_at.min(), last_purchase=days.last_at.max())
    else:
        purchases = tx.filter(~is_refund(tx), tx.occurred_at <= cutoff)
        bought = purchases.group_by("party_id").aggregate(
            purchase_days=purchases.occurred_at.date().nunique(),
            first_purchase=purchases.occurred_at.min(),
            last_purchase=purchases.occurred_at.max(),
        )

    # Interest: inbound or visit-like contacts, feedback, complaints, sign-ups.
    i = interactions.filter(interactions.occurred_at <= cutoff)
    shown = i.filter((i.direction == "inbound") | i.channel.isin(list(rules.interest_channels)))
    c = consents.filter(consents.recorded_at <= cutoff, consents.granted)
    interest = (
        shown.select("party_id")
        .union(feedback.filter(feedback.occurred_at <= cutoff).select("party_id"))
        .union(complaints.filter(complaints.opened_at <= cutoff).select("party_id"))
        .union(c.select("party_id"))
        .distinct()
        .mutate(interested=True)
    )

    # Latest NPS / CSAT answer; positive reviews.
    f = feedback.filter(feedback.occurred_at <= cutoff, feedback.score.notnull())
    scored = f.filter(f.instrument.isin(["nps", "csat"]))
    share = scored.score / scored.scale_max.fill_null(5.0)
    positive = ibis.ifelse(scored.instrument == "nps", scored.score >= rules.positive_min_nps,
                           share >= rules.positive_csat_share)
    is_nps = scored.instrument == "nps"
    # The latest answer decides; answers given in the same second (an NPS and a CSAT of one survey) count the
    # positive one, so every engine picks the same.
    second = scored.occurred_at.epoch_seconds().cast("float64") * 2.0
    promoter = scored.score >= rules.promoter_min_nps
    opinions = scored.group_by("party_id").aggregate(
        positive_feedback=positive.argmax(second + ibis.ifelse(positive, 1.0, 0.0)),
        promoter=promoter.argmax(second + ibis.ifelse(promoter, 1.0, 0.0), where=is_nps),
    )
    rv = f.filter(f.instrument == "review")
    good_review = rv.score / rv.scale_max.fill_null(5.0) >= rules.positive_csat_share
    reviews = rv.group_by("party_id").aggregate(reviews=rv.count(where=good_review))

    # Loyalty membership: the latest consent of a loyalty purpose is granted.
    lc = consents.filter(consents.recorded_at <= cutoff, consents.purpose.isin(list(rules.loyalty_purposes)))
    loyalty = lc.group_by("party_id").aggregate(loyalty_member=lc.granted.argmax(lc.recorded_at))

    # Referrals that led to customers: referred parties with a purchase by as_of.
    buyers = bought.select(_buyer="party_id")
    referred = parties.filter(parties.referred_by.notnull())
    referred = referred.join(buyers, referred.party_id == buyers._buyer)
    referrals = referred.group_by(party_id=referred.referred_by).aggregate(referrals=referred.count())

    # Collaboration: working together in the window (seed 001: contributing to marketing decisions).
    window_start = ibis.literal(cutoff_instant - dt.timedelta(days=rules.partner_window_days))
    subject = i.subject.lower()
    together = ibis.literal(False)
    for word in rules.partner_subjects:
        together = together | subject.contains(word.lower()).fill_null(False)
    worked = i.filter(together, i.occurred_at >= window_start).select("party_id", at=i.occurred_at)
    # Panel answers count even without a score.
    panels = feedback.filter(feedback.occurred_at <= cutoff, feedback.occurred_at >= window_start,
                             feedback.instrument.isin(list(rules.partner_instruments)))
    worked = worked.union(panels.select("party_id", at=panels.occurred_at), distinct=False)
    collaboration = worked.group_by("party_id").aggregate(collaborations=worked.count(),
                                                          last_collaboration=worked.at.max())

    # Parties that exist at as_of.
    p = parties.filter(parties.category.isin(list(rules.categories)))
    with_facts = tx.filter(tx.occurred_at <= cutoff).select("party_id").distinct().mutate(_has_facts=True)
    base = p.select("party_id", "kind", "category", "organisation_id",
                    _joined=ibis.least(p.created_at, ibis.coalesce(p.acquired_at, p.created_at)))
    for t in (with_facts, interest, bought, opinions, reviews, loyalty, referrals, collaboration):
        base = base.left_join(t, "party_id").drop("party_id_right")
    if p_alive is not None:
        pa_ = p_alive.select(_pa_party=p_alive.party_id, _p_alive=p_alive.p_alive)
        base = base.left_join(pa_, base.party_id == pa_._pa_party).drop("_pa_party")
    else:
        base = base.mutate(_p_alive=ibis.null("float64"))
    b = base.mutate(
        purchase_days=base.purchase_days.fill_null(0),
        interested=base.interested.fill_null(False),
        positive_feedback=base.positive_feedback.fill_null(False),
        promoter=base.promoter.fill_null(False),
        loyalty_member=base.loyalty_member.fill_null(False),
        referrals=base.referrals.fill_null(0),
        reviews=base.reviews.fill_null(0),
        collaborations=base.collaborations.fill_null(0),
    )
    b = b.filter((b._joined <= cutoff) | b._has_facts.fill_null(False) | b.interested)
    last_active = ibis.greatest(b.last_purchase, ibis.coalesce(b.last_collaboration, b.last_purchase))
    b = b.mutate(
        days_since_purchase=_days_between(today, b.last_purchase),
        days_inactive=_days_between(today, last_active),
        tenure_days=_days_between(today, b.first_purchase),
        lapse_days=ibis.ifelse(b.kind == "organisation", rules.lapse_after_days_organisation,
                               rules.lapse_after_days),
    )

    is_customer = b.purchase_days >= 1
    inactive = is_customer & (b.days_inactive > b.lapse_days)
    unlikely = is_customer & (b._p_alive < rules.lapse_p_alive).fill_null(False)
    is_lapsed = inactive | unlikely
    is_client = b.purchase_days >= rules.client_min_purchase_days
    is_supporter = is_client & (b.positive_feedback | b.loyalty_member)
    recommends = (b.referrals >= rules.advocate_min_referrals) | (b.reviews >= rules.advocate_min_reviews)
    if rules.promoter_is_recommendation:
        recommends = recommends | b.promoter
    climbed = (b.tenure_days >= rules.advocate_min_tenure_days) & (b.purchase_days >= rules.advocate_min_purchase_days)
    is_advocate = is_supporter & recommends & climbed
    is_partner = (b.collaborations >= rules.partner_min_collaborations) & (
        b.purchase_days >= rules.partner_min_purchase_days)
    is_prospect = b.interested | (b.category == "prospect")

    stakeholder = b.organisation_id.notnull() if stakeholders else ibis.literal(False)
    rung = ibis.cases(
        (stakeholder, ibis.null("string")),
        (is_lapsed, LAPSED),
        (is_partner, "partner"),
        (is_advocate, "advocate"),
        (is_supporter, "supporter"),
        (is_client, "client"),
        (is_customer, "customer"),
        (is_prospect, "prospect"),
        else_="suspect",
    )
    days = _text(b.purchase_days) + " purchase day(s)"
    last = "last purchase " + _text(b.days_since_purchase.fill_null(0)) + " days ago"
    liked = ibis.ifelse(b.positive_feedback, "latest NPS/CSAT answer positive", "a loyalty member")
    reason = ibis.cases(
        (stakeholder, "not on the ladder: a person at organisation " + _text(b.organisation_id)
         + ", whose contacts count for the organisation"),
        (inactive, "lapsed because: no purchase or collaboration for " + _text(b.days_inactive)
         + " days (more than " + _text(b.lapse_days) + ")"),
        (unlikely, "lapsed because: probability alive " + _text((b._p_alive * 100).round(0)) + "% is below "
         + str(round(rules.lapse_p_alive * 100)) + "%"),
        (is_partner, "partner because: " + _text(b.collaborations) + " collaboration(s) (co-creation, panel, "
         "joint planning, contract) in the last " + str(rules.partner_window_days) + " days; " + days),
        (is_advocate, "advocate because: " + _text(b.referrals) + " referral(s) who bought, "
         + _text(b.reviews) + " positive review(s); " + liked + "; a customer for " + _text(b.tenure_days)
         + " days with " + days),
        (is_supporter, "supporter because: a repeat buyer (" + days + "), " + liked
         + ibis.ifelse(recommends & ~climbed, "; not yet advocate: needs " + str(rules.advocate_min_tenure_days)
                       + " days and " + str(rules.advocate_min_purchase_days) + " purchase days", "")),
        (is_client, "client because: " + days + ", " + last + "; no positive feedback or loyalty membership yet"),
        (is_customer, "customer because: bought on one day, " + last),
        (is_prospect, "prospect because: showed interest (an enquiry, visit, sign-up, feedback or complaint, "
         "or listed as a prospect) but has not bought"),
        else_="suspect because: in the target market, no interest shown yet",
    )
    level = ibis.cases(*[(rung == name, lvl) for name, lvl in RUNG_LEVEL.items()])
    return b.select(
        "party_id",
        rung=rung,
        rung_level=level.cast("int64"),
        rung_reason=reason,
        purchase_days=b.purchase_days.cast("int64"),
        days_since_purchase=b.days_since_purchase.cast("int64"),
        tenure_days=b.tenure_days.cast("int64"),
        interested=b.interested,
        positive_feedback=b.positive_feedback,
        promoter=b.promoter,
        loyalty_member=b.loyalty_member,
        referrals=b.referrals.cast("int64"),
        reviews=b.reviews.cast("int64"),
        collaborations=b.collaborations.cast("int64"),
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
        ``to_level``: one row per non-empty cell of the migration matrix.
        A party not yet on the ladder at ``from_date`` has ``from_rung =
        'new'`` (level -1); a fall (``to_level < from_level``) includes
        stepping down to ``lapsed``. Pivot it with ``rung_matrix`` (pandas).
    """
    before = ladder_rung(tables, from_date, rules=rules).select("party_id", from_rung="rung",
                                                                from_level="rung_level")
    after = ladder_rung(tables, to_date, rules=rules).select("party_id", to_rung="rung", to_level="rung_level")
    moves = after.left_join(before, "party_id")
    moves = moves.mutate(
        from_rung=moves.from_rung.fill_null("new"),
        from_level=moves.from_level.fill_null(-1),
    )
    return (
        moves.group_by(["from_rung", "to_rung", "from_level", "to_level"])
        .aggregate(parties=moves.count())
        .select("from_rung", "to_rung", "parties", "from_level", "to_level")
        .order_by(["from_level", "to_level"])
    )


def rung_matrix(migration) -> pd.DataFrame:
    """Pivot an executed :func:`ladder_migration` into a state × state count table (pandas)."""
    import pandas as pd

    df = migration.to_pandas() if hasattr(migration, "to_pandas") else pd.DataFrame(migration)
    rows = ["new", *LADDER_STATES]
    m = df.pivot_table(index="from_rung", columns="to_rung", values="parties", aggfunc="sum", fill_value=0)
    return m.reindex(index=rows, columns=list(LADDER_STATES), fill_value=0).astype("int64")


__all__ = ["LADDER_STATES", "RUNGS", "RUNG_LEVEL", "LadderRules", "ladder_migration", "ladder_rules_from",
           "ladder_rung", "rung_matrix"]
