"""The ground truth written beside the exports.

Files
-----
``truth.json``
    The true parameters (BG/NBD, Gamma-Gamma, channels and costs, SERVQUAL
    gaps, how churn is tied to the service record, planted association
    rules), the files with their row counts, every deliberate defect (file,
    row, line, column, value written, original value, record id, customer
    key), the readable typos planted outside duplicates, and headline facts.
``truth_customers.parquet``
    One row per true B2C person: keys, acquisition, the drawn ``lam``, ``p``,
    ``nu``, true mean spend, true dropout time and ``alive_at_end``, the
    BG/NBD summary ``x``, ``t_x``, ``T`` (weeks), and what was generated for
    them (orders, revenue, complaints, ...), before any defect was applied.
``truth_accounts.parquet``
    One row per business account: ERP and CRM keys, industry, size, when it
    was opened and lost (their sales activity fades in the 26 weeks before),
    contacts and invoices.
``truth_campaign.parquet``
    One row per member of the past campaign (:mod:`patron.demo.campaign`): arm, group, both potential
    responses, whether they reacted badly to pressure and withdrew consent; its design and true uplift per
    group are ``campaign`` in ``truth.json``.
``truth_identities.parquet``
    Every (source, key) in the exports with the true entity it belongs to:
    two webshop keys of one duplicated customer, or the ERP and CRM keys of
    one business account, share an ``entity_id``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from patron.demo import b2b, exports, suppliers
from patron.demo.catalogue import COMPANY, Catalogue
from patron.demo.customers import CHANNEL_NAMES, Population
from patron.demo.orders import Lines, Orders
from patron.demo.params import CHANNELS, END, SERVQUAL_GAPS, START, DemoParameters

#: Dropout times further out than this are stored as weeks only (a timestamp would overflow).
FAR_FUTURE_W = 52.0 * 150
#: Rows of truth_customers built at a time: bounded memory at ten million customers.
TRUTH_SLICE = 1_000_000


class TruthKeeper:
    """Collects per-customer truth chunk by chunk and writes the truth files at the end."""

    def __init__(self, out: Path, pop: Population, params: DemoParameters) -> None:
        self.out = out
        self.pop = pop
        self.params = params
        n = pop.size
        self.revenue_cents = np.zeros(n, dtype=np.int64)
        self.order_value_cents = np.zeros(n, dtype=np.int64)
        self.lines = np.zeros(n, dtype=np.int64)
        self.refunds = np.zeros(n, dtype=np.int64)
        self.complaints = np.zeros(n, dtype=np.int64)
        self.final_complaint = np.zeros(n, dtype=bool)
        self.nps_answers = np.zeros(n, dtype=np.int64)
        self.nps_sum = np.zeros(n)
        self.consent_withdrawn = np.zeros(n, dtype=bool)
        self.order_lines_total = 0
        self.servqual_gap_sum = np.zeros(len(SERVQUAL_GAPS))
        self.servqual_answers = np.zeros(len(SERVQUAL_GAPS), dtype=np.int64)

    def add_chunk(self, lo: int, hi: int, orders: Orders, lines: Lines, complaints: dict, nps: dict,
                  consents: dict, servqual: dict) -> None:
        """Add what was generated for persons ``lo..hi`` (counted locally: no full-size temporaries)."""
        n = hi - lo

        def count(person, weights=None):
            return np.bincount(person - lo, weights=weights, minlength=n)

        person_of_line = orders.person[lines.order]
        is_order = lines.kind == 0
        self.revenue_cents[lo:hi] += count(person_of_line, lines.revenue_cents).astype(np.int64)
        self.order_value_cents[lo:hi] += count(orders.person, orders.value_cents).astype(np.int64)
        self.lines[lo:hi] += count(person_of_line[is_order])
        self.refunds[lo:hi] += count(person_of_line[~is_order])
        who = orders.person[complaints["order"]]
        self.complaints[lo:hi] += count(who)
        self.final_complaint[who[complaints["churner"]]] = True
        who = orders.person[nps["order"]]
        self.nps_answers[lo:hi] += count(who)
        self.nps_sum[lo:hi] += count(who, nps["score"])
        self.consent_withdrawn[consents["person"][consents["record"] >= 2]] = True
        self.order_lines_total += len(lines.order)
        dim = servqual["item_dim"][servqual["item"]]
        k = len(self.servqual_answers)
        self.servqual_gap_sum += np.bincount(dim, weights=servqual["perception"] - servqual["expectation"], minlength=k)
        self.servqual_answers += np.bincount(dim, minlength=k)
        self.servqual_dims = servqual["dims"]

    def customers_table(self, lo: int = 0, hi: int | None = None) -> pa.Table:
        """Rows ``lo..hi`` of ``truth_customers.parquet``."""
        pop = _Slice(self.pop, lo, hi)
        keeper = _Slice(self, lo, hi)
        params = self.params
        n = len(pop.lam)
        start_s = int(START.timestamp())
        near = pop.dropout_w < FAR_FUTURE_W
        dropout = exports.text.timestamps(np.where(near, pop.dropout_w, 0.0), start_s)
        dup = pop.duplicate_no >= 0
        ref = pop.referred_by
        acquired = exports.text.timestamps(pop.acquired_w, start_s)
        return pa.table({
            "person_id": pa.array(np.arange(lo, lo + n)),
            "customer_no": exports.text.ints(pop.customer_no),
            "duplicate_no": exports._nullable(exports.text.ints(np.maximum(pop.duplicate_no, 0)), dup),
            "duplicate_typo": exports.text.take(("none", "name", "email", "name_and_email"),
                                                pop.duplicate_typo.astype(np.int64)),
            "acquired_at": acquired,
            "cohort": exports.text.format_local(acquired, "%Y-%m"),
            "channel": exports.text.take(CHANNEL_NAMES, pop.channel.astype(np.int64)),
            "acquisition_cost": pa.array(pop.acquisition_cost_cents / 100.0),
            "referred_by_person": pa.array(np.where(ref >= 0, ref, 0), mask=ref < 0),
            "lam": pa.array(pop.lam),
            "p": pa.array(pop.p),
            "nu": pa.array(pop.nu),
            "true_mean_spend": pa.array(params.gg_p / pop.nu),
            "repeat_purchases_lifetime": pa.array(pop.repeat_total),
            "dropout_weeks": pa.array(pop.dropout_w),
            "dropout_at": exports._nullable(dropout, near),
            "alive_at_end": pa.array(pop.alive_at_end),
            "x": pa.array(pop.x),
            "t_x": pa.array(pop.t_x),
            "T": pa.array(pop.end_w - pop.acquired_w),
            "orders": pa.array(1 + pop.x),
            "order_lines": pa.array(keeper.lines),
            "refund_lines": pa.array(keeper.refunds),
            "order_value": pa.array(keeper.order_value_cents / 100.0),
            "net_revenue": pa.array(keeper.revenue_cents / 100.0),
            "complaints": pa.array(keeper.complaints),
            "complained_about_final_order": pa.array(keeper.final_complaint),
            "nps_answers": pa.array(keeper.nps_answers),
            "nps_mean": pa.array(np.where(keeper.nps_answers > 0, keeper.nps_sum / np.maximum(keeper.nps_answers, 1), 0.0),
                                 mask=keeper.nps_answers == 0),
            "email_consent_withdrawn": pa.array(keeper.consent_withdrawn),
        })

    def identity_tables(self, accounts):
        """``truth_campaign.parquet``
    One row per member of the past campaign (:mod:`patron.demo.campaign`): arm, group, both potential
    responses, whether they reacted badly to pressure and withdrew consent; its design and true uplift per
    group are ``campaign`` in ``truth.json``.
``truth_identities.parquet`` in pieces of at most :data:`TRUTH_SLICE` rows."""
        pop = self.pop
        n = pop.size
        dup = np.flatnonzero(pop.duplicate_no >= 0)
        m = accounts.size
        c = len(accounts.contact_org)

        def piece(entity, ids, source, keys, record) -> pa.Table:
            k = len(ids)
            return pa.table({"entity": exports.text.repeat(entity, k), "entity_id": pa.array(ids.astype(np.int64)),
                             "source": exports.text.repeat(source, k), "key": keys, "record": exports.text.repeat(record, k)})

        for lo in range(0, n, TRUTH_SLICE):
            hi = min(lo + TRUTH_SLICE, n)
            yield piece("customer", np.arange(lo, hi), "webshop", exports.text.ints(pop.customer_no[lo:hi]),
                        "first registration")
        yield piece("customer", dup, "webshop", exports.text.ints(pop.duplicate_no[dup]), "second registration")
        yield piece("organisation", np.arange(m), "webshop", exports.erp_account_keys(accounts),
                    "ERP business customer")
        yield piece("organisation", np.arange(m), "crm", exports.crm_account_keys(accounts), "CRM account")
        yield piece("contact", np.arange(c), "crm", exports.crm_contact_keys(accounts), "CRM contact")
        partner_keys = [suppliers.FIRM[0], *suppliers.keys()]
        yield piece("partner", np.arange(len(partner_keys)), "crm", pa.array(partner_keys, pa.string()),
                    "CRM supplier, distributor or partner (0: the firm)")

    def finish(self, accounts, result, seed: int, catalogue: Catalogue, campaign: dict | None = None,
               drivers: dict | None = None, hierarchy: dict | None = None,
               listening: dict | None = None) -> dict:
        pop, params = self.pop, self.params
        step = TRUTH_SLICE
        first = self.customers_table(0, min(step, pop.size))
        with pq.ParquetWriter(self.out / "truth_customers.parquet", first.schema) as writer:
            writer.write_table(first)
            for lo in range(step, pop.size, step):
                writer.write_table(self.customers_table(lo, min(lo + step, pop.size)))
        pieces = self.identity_tables(accounts)
        first = next(pieces)
        with pq.ParquetWriter(self.out / "truth_identities.parquet", first.schema) as writer:
            writer.write_table(first)
            for table in pieces:
                writer.write_table(table)
        pq.write_table(accounts_table(accounts), self.out / "truth_accounts.parquet")
        churned = ~pop.alive_at_end
        facts = {
            "customers": int(pop.size),
            "business_accounts": int(accounts.size),
            "business_contacts": len(accounts.contact_org),
            "partner_accounts": 1 + len(suppliers.PARTNERS),  # the firm, its suppliers, distributors, partners
            "orders": int((1 + pop.x).sum()),
            "order_lines": int(self.lines.sum()),
            "refund_lines": int(self.refunds.sum()),
            "net_revenue_b2c": round(float(self.revenue_cents.sum()) / 100, 2),
            "invoiced_b2b": round(float(accounts.invoice_cents.sum()) / 100, 2),
            "one_time_buyers_share": round(float((pop.x == 0).mean()), 4),
            "alive_at_end_share": round(float(pop.alive_at_end.mean()), 4),
            "duplicates_planted": int((pop.duplicate_no >= 0).sum()),
            "referred_customers": int((pop.referred_by >= 0).sum()),
            "complaints": int(self.complaints.sum()),
            "churners_with_final_complaint_share": round(float(self.final_complaint[churned].mean()), 4)
            if churned.any() else 0.0,
            "defects_planted": len(result.defects),
            "typos_planted": len(result.typos) + int((pop.duplicate_typo > 0).sum()),
        }
        doc = {
            "company": COMPANY,
            "seed": seed,
            "customers": pop.size,
            "period": {"start": START.isoformat(), "end": END.isoformat(), "weeks": params.observation_weeks},
            "time_unit": "week",
            "parameters": {
                "bg_nbd": {"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b},
                "gamma_gamma": {"p": params.gg_p, "q": params.gg_q, "gamma": params.gg_gamma,
                                "population_mean_spend": params.gg_p * params.gg_gamma / (params.gg_q - 1)},
                "all": {k: v for k, v in asdict(params).items() if k != "churn"},
            },
            "model_notes": (
                "Time 0 of each customer is their first purchase (the acquisition). Repeat purchases follow a "
                "Poisson process with rate lam per week; after each repeat purchase the customer drops out with "
                "probability p (never right after the first). Every order's value, the first included, is "
                "Gamma(gg_p, rate nu); order lines add up to it within rounding. Refund lines are separate."
            ),
            "channels": {k: {"share": v[0], "mean_cost": v[1]} for k, v in CHANNELS.items()},
            "servqual_gaps": SERVQUAL_GAPS,
            "servqual_gaps_observed": {
                d: round(float(self.servqual_gap_sum[i] / max(self.servqual_answers[i], 1)), 4)
                for i, d in enumerate(getattr(self, "servqual_dims", ()))},
            "servqual_notes": (
                "servqual_gaps are the latent gaps per dimension; the answers are rounded and clipped to the "
                "1-7 scale and respondents who drop out within 26 weeks perceive worse (churn_link), so the "
                "gaps in the data are servqual_gaps_observed."
            ),
            "drivers": drivers,
            "hierarchy": hierarchy,  # the account groups (patron.demo.hierarchy)
            "listening": listening,
            "churn_link": {
                **asdict(params.churn),
                "description": (
                    "Customers who drop out inside the window (alive_at_end false) complain about their final "
                    "order with probability complaint_prob_final_order (others: complaint_prob_other_order per "
                    "order), wait longer for a first response and resolution, are left less satisfied, answer NPS "
                    "lower after that order, perceive SERVQUAL items worse in the 26 weeks before dropout, and "
                    "withdraw email consent more often. The flag per customer is "
                    "complained_about_final_order in truth_customers.parquet."
                ),
            },
            "association_rules": catalogue.association_rules(),
            "campaign": campaign,
            "files": [{"name": f.name, "system": f.system, "kind": f.kind, "format": f.fmt, "rows": rows,
                       "mapping": f.mapping_name} for f, _, rows in result.files],
            "defects": result.defects,
            "typos": result.typos,
            "facts": facts,
        }
        (self.out / "truth.json").write_text(json.dumps(doc, indent=1, default=_json_default), encoding="utf-8")
        return facts


def accounts_table(accounts) -> pa.Table:
    """One row per business account: its keys in the ERP and the CRM, and whether it was lost."""
    start_s = int(START.timestamp())
    lost = np.isfinite(accounts.lost_w)
    return pa.table({
        "entity_id": pa.array(np.arange(accounts.size)),
        "erp_key": exports.erp_account_keys(accounts),
        "crm_key": exports.crm_account_keys(accounts),
        "name": exports.account_names(accounts),
        "industry": exports.text.take(b2b.INDUSTRIES, accounts.industry),
        "employees": pa.array(accounts.employees),
        "opened_at": exports.text.timestamps(accounts.founded_w, start_s),
        "lost_at": exports._nullable(exports.text.timestamps(np.where(lost, accounts.lost_w, 0.0), start_s), lost),
        "contacts": pa.array(np.bincount(accounts.contact_org, minlength=accounts.size)),
        "invoices": pa.array(np.bincount(accounts.invoice_org, minlength=accounts.size)),
        "invoiced": pa.array(np.bincount(accounts.invoice_org, weights=accounts.invoice_cents,
                                         minlength=accounts.size) / 100.0),
    })


class _Slice:
    """Attribute access to rows ``lo..hi`` of every array of an object (e.g. a population)."""

    def __init__(self, source, lo: int, hi: int | None) -> None:
        self._source, self._lo, self._hi = source, lo, hi

    def __getattr__(self, name: str):
        value = getattr(self._source, name)
        return value[self._lo:self._hi] if isinstance(value, np.ndarray) else value


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))
