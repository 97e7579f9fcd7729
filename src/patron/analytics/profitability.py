"""What each relationship costs to serve, and what it leaves: activity-based customer profitability.

Seed 001: the profitability of customers, the costs of attracting new customers
against keeping existing ones; seed 004: the profitability of a relationship needs
to be understood. Revenue and margin alone hide what serving a customer costs, so
each activity a customer causes is charged at a rate (:class:`CostRules`): a
contact by its channel, a complaint, a refund or return, a delivery (one per order).
Profit to date is margin less the cost to serve and the acquisition cost; a
profit-based CLV takes the future cost of the expected orders off the CLV.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import ibis
import ibis.expr.types as ir

from patron.analytics.periods import as_of_instant
from patron.analytics.sources import Tables, table
from patron.analytics.summary import is_refund
from patron.errors import InvalidInput


def _f(value: float) -> ir.FloatingScalar:
    return ibis.literal(float(value), "float64")


def _double(value: ir.NumericValue) -> ir.FloatingValue:
    """A float64 column in every engine's SQL: through a decimal, so the cast to DOUBLE is not elided."""
    return value.cast("decimal(38, 6)").cast("float64")


def _channels() -> dict[str, float]:
    # Demo defaults, EUR: a handled call costs more than an email; a visit more than either.
    return {"phone": 6.0, "email": 2.0, "chat": 3.0, "face_to_face": 40.0, "web": 0.5, "event": 15.0,
            "letter": 4.0, "social": 1.5, "sms": 0.2, "other": 3.0}


@dataclass(frozen=True)
class CostRules:
    """Activity rates, in the store's main currency (``docs/profitability.md``)."""

    per_interaction: dict[str, float] = field(default_factory=_channels)
    per_complaint: float = 25.0
    per_refund: float = 8.0
    per_delivery: float = 4.5
    count_acquisition_cost: bool = True


def cost_rules_from(source: str | Path | dict | None) -> CostRules:
    """The rates of a TOML file's ``[costs]`` table (``[costs.per_interaction]`` per channel), defaults else."""
    if source is None:
        return CostRules()
    if isinstance(source, dict):
        data, where = source, "the cost rules"
    else:
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("costs", {})
        except FileNotFoundError:
            raise InvalidInput(f"The rules file {path} does not exist.") from None
        except tomllib.TOMLDecodeError as e:
            raise InvalidInput(f"The rules file {path} is not valid TOML: {e}.") from None
        where = f"[costs] of {path}"
    known = {f.name for f in fields(CostRules)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise InvalidInput(f"Unknown cost rule '{key}' in {where}. Rules: {', '.join(sorted(known))}.")
        if key == "per_interaction":
            if not isinstance(value, dict):
                raise InvalidInput(f"'per_interaction' in {where} must be a table of channel = cost.")
            rates = _channels()
            for channel, rate in value.items():
                if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
                    raise InvalidInput(f"The cost of a '{channel}' contact in {where} must be a number ≥ 0.")
                rates[channel] = float(rate)
            value = rates
        elif key == "count_acquisition_cost":
            if not isinstance(value, bool):
                raise InvalidInput(f"'{key}' in {where} must be true or false.")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InvalidInput(f"Cost rule '{key}' in {where} must be a number ≥ 0, not {value!r}.")
        values[key] = value
    return CostRules(**values)


def cost_to_serve(tables: Tables, as_of, *, rules: CostRules = CostRules(), orders: ir.Table | None = None
                  ) -> ir.Table:
    """Each party's activity counts and cost to serve up to ``as_of``.

    ``orders``: optional ``party_id``, ``refunds``, ``deliveries`` of the transactions up to ``as_of``
    counted already (a customer summary's ``refunds`` and ``orders`` over every transaction, which count
    the same), read instead of grouping the transactions again; parties not in it have none.

    Returns
    -------
    ibis.Table
        ``party_id``, ``contacts``, ``contact_cost``, ``complaints``,
        ``refunds``, ``deliveries``, ``acquisition_cost``, ``cost_to_serve``
        (contacts + complaints + refunds + deliveries, without acquisition)
        and ``service_cost_per_order`` (what serving one order costs this
        customer, deliveries included: the rate future orders are charged at).
    """
    cutoff = ibis.literal(as_of_instant(as_of))
    tx = table(tables, "transactions").filter(lambda t: t.occurred_at <= cutoff)
    interactions = table(tables, "interactions").filter(lambda t: t.occurred_at <= cutoff)
    complaints = table(tables, "complaints").filter(lambda t: t.opened_at <= cutoff)
    parties = table(tables, "parties")

    # Typed literals: PostgreSQL reads a bare 6.0 as NUMERIC, and Ibis elides a cast to float64 of what it
    # already takes for float64, so the sums would come back as decimals.
    rate = ibis.cases(*[(interactions.channel == c, _f(r)) for c, r in rules.per_interaction.items()],
                      else_=_f(rules.per_interaction.get("other", 0.0)))
    contacts = interactions.group_by("party_id").aggregate(contacts=interactions.count(),
                                                           contact_cost=rate.sum())
    complaint_counts = complaints.group_by("party_id").aggregate(complaints=complaints.count())
    refund = is_refund(tx)
    # One delivery per order document; a purchase line without a document is a delivery of its own (a firm's
    # own table without documents: one per line, or per distinct time where it has no line id). Counted as
    # distinct documents plus lines without one: a distinct count over every line's text (the line id cast
    # to text where the document is missing) cost 2-3 CPU-s at 3M lines.
    purchase = ~refund
    if "transaction_id" in tx.columns:
        loose = tx.count(where=purchase & tx.document.isnull()) if "document" in tx.columns else tx.count(where=purchase)
    else:
        loose = tx.occurred_at.nunique(where=purchase & (tx.document.isnull() if "document" in tx.columns
                                                          else ibis.literal(True)))
    documented = tx.document.nunique(where=purchase) if "document" in tx.columns else ibis.literal(0)
    if orders is None:
        orders = tx.group_by("party_id").aggregate(refunds=tx.count(where=refund), deliveries=documented + loose)
    else:
        orders = orders.select("party_id", "refunds", "deliveries")
    acquisition = (parties.acquisition_cost.cast("float64").fill_null(_f(0.0)) if "acquisition_cost" in parties.columns
                   else _f(0.0))
    base = parties.select("party_id", acquisition_cost=acquisition)
    for t in (contacts, complaint_counts, orders):
        base = base.left_join(t, "party_id").drop("party_id_right")
    b = base.mutate(
        contacts=base.contacts.fill_null(0), contact_cost=base.contact_cost.fill_null(_f(0.0)),
        complaints=base.complaints.fill_null(0), refunds=base.refunds.fill_null(0),
        deliveries=base.deliveries.fill_null(0),
    )
    service = (b.contact_cost + b.complaints * _f(rules.per_complaint) + b.refunds * _f(rules.per_refund))
    total = service + b.deliveries * _f(rules.per_delivery)
    per_order = ibis.ifelse(b.deliveries > 0, service / b.deliveries, _f(0.0)) + _f(rules.per_delivery)
    return b.select(
        "party_id",
        contacts=b.contacts.cast("int64"), contact_cost=b.contact_cost.cast("float64"),
        complaints=b.complaints.cast("int64"), refunds=b.refunds.cast("int64"),
        deliveries=b.deliveries.cast("int64"),
        acquisition_cost=(b.acquisition_cost if rules.count_acquisition_cost else _f(0.0)),
        cost_to_serve=total.cast("float64"),
        service_cost_per_order=per_order.cast("float64"),
    )


def customer_profit(values: ir.Table, costs: ir.Table, *, margin_share: float) -> ir.Table:
    """Profit to date and profit-based CLV per party.

    Parameters
    ----------
    values
        ``party_id``, ``margin`` (to date; ``revenue`` × ``margin_share`` where null), ``revenue``,
        ``clv``, ``expected_purchases``, ``expected_spend`` (a value run's scores).
    costs
        A :func:`cost_to_serve` result.
    margin_share
        The CLV's margin share, to find the CLV's discounting: future costs are
        discounted as the CLV's margin stream is (the ratio of the CLV to its
        undiscounted margin).

    Returns
    -------
    ibis.Table
        ``party_id``, ``cost_to_serve``, ``profit`` (margin − cost to serve −
        acquisition cost) and ``profit_clv`` (CLV − the discounted service
        cost of the expected orders).
    """
    c = costs.select(_cparty=costs.party_id, cost_to_serve=costs.cost_to_serve,
                     acquisition_cost=costs.acquisition_cost, per_order=costs.service_cost_per_order)
    j = values.left_join(c, values.party_id == c._cparty)
    share = _f(margin_share)
    margin = ibis.coalesce(j.margin.cast("float64"), j.revenue.cast("float64") * share, _f(0.0))
    cost = j.cost_to_serve.fill_null(_f(0.0))
    undiscounted = j.expected_purchases * j.expected_spend * share
    discount = ibis.ifelse(undiscounted > 0, j.clv / undiscounted, _f(1.0))
    future = j.expected_purchases * j.per_order.fill_null(_f(0.0)) * discount
    return j.select(
        "party_id",
        cost_to_serve=_double(cost),
        profit=_double(margin - cost - j.acquisition_cost.fill_null(_f(0.0))),
        # A run whose CLV is NaN (a fit that ran away: never made current) must still be written, not fail.
        profit_clv=_double(ibis.ifelse((j.clv - future).isnan(), ibis.null("float64"), j.clv - future)),
    )


def stobachoff(profits: ir.Table, column: str = "profit") -> ir.Table:
    """The Stobachoff curve: customers ranked by profit, most profitable first, with the running total.

    Returns
    -------
    ibis.Table
        ``rank`` (1 = most profitable), ``party_id``, ``profit``, ``cumulative_profit``,
        ordered by rank. Its peak is the profit of the profitable customers alone; what
        falls after it is what the unprofitable ones destroy.
    """
    p = profits.filter(profits[column].notnull())
    w = ibis.window(order_by=[ibis.desc(p[column]), p.party_id])
    ranked = p.select("party_id", profit=p[column],
                      rank=ibis.row_number().over(w) + 1,
                      cumulative_profit=p[column].sum().over(ibis.window(
                          order_by=[ibis.desc(p[column]), p.party_id], preceding=None, following=0)))
    return ranked.select("rank", "party_id", "profit", "cumulative_profit").order_by("rank")
