"""The demo company end to end: simulate, write the four systems' exports
and the ground truth, and import the exports into a store.

Example
-------
>>> from patron.demo import generate_demo, import_demo          # doctest: +SKIP
>>> result = generate_demo("demo-data", customers=5000, seed=1)  # doctest: +SKIP
>>> reports = import_demo(store, "demo-data")                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from patron.demo import (
    account_reviews,
    b2b,
    campaign,
    drivers,
    exports,
    hierarchy,
    homophily,
    listening,
    partners,
    quality_plants,
    relationships,
    service,
    suppliers,
    text,
    truth,
)
from patron.demo.catalogue import Catalogue
from patron.demo.customers import simulate_population
from patron.demo.orders import order_offsets, simulate_lines, simulate_orders
from patron.demo.params import DemoParameters
from patron.demo.systems import EXPORTS as SYSTEM_EXPORTS
from patron.demo.systems import ExportFile

#: Every export, in import order: the four systems' files, then the partner programme's log.
EXPORTS: tuple[ExportFile, ...] = (*SYSTEM_EXPORTS, partners.PARTNER_PROGRAMME, listening.LISTENING_FILE)
from patron.demo.writers import Defect, Sink, spoil

#: Customers simulated together: the working set is about 1.2 GB at 200,000 and
#: 0.6 GB at half that, which larger companies use (their own arrays take more).
CHUNK = 200_000
LARGE = 2_000_000
MIN_CUSTOMERS, MAX_CUSTOMERS = 100, 10_000_000

#: The deliberate defects of each file (a handful of rows each, recorded in the truth).
DEFECTS: dict[str, list[Defect]] = {
    "webshop_customers.csv": [Defect("missing_customer_key", "Customer No", None),
                              Defect("unparseable_date", "Registered", "31/02/2024 09:15")],
    "webshop_order_lines.csv": [Defect("unparseable_date", "Order Date", "30/02/2025 14:61"),
                                Defect("missing_customer_key", "Customer No", None),
                                Defect("text_in_amount", "Net Amount", "see invoice")],
    "callcentre_contacts.csv": [Defect("unknown_choice", "channel", "fax"),
                                Defect("unparseable_date", "started_at", "2024-02-30T25:00:00+01:00")],
    "callcentre_complaints.csv": [Defect("unknown_choice", "priority", "asap"),
                                  Defect("missing_customer_key", "customer_number", None)],
    "survey_responses.jsonl": [Defect("missing_customer_key", "customer_ref", None),
                               Defect("unparseable_date", "submitted_at", "last Tuesday")],
    "erp_invoices.parquet": [Defect("missing_customer_key", "customer_no", None)],
    "crm_activities.csv": [Defect("unparseable_date", "Activity Date", "13/45/2024 10:00")],
}
ID_AND_KEY = {
    "webshop_customers.csv": ("Customer No", "Customer No"),
    "webshop_order_lines.csv": ("Line ID", "Customer No"),
    "callcentre_contacts.csv": ("contact_id", "customer_number"),
    "callcentre_complaints.csv": ("ticket_id", "customer_number"),
    "survey_responses.jsonl": ("response_id", "customer_ref"),
    "erp_invoices.parquet": ("invoice_id", "customer_no"),
    "crm_activities.csv": ("Activity ID", "Contact ID"),
}

Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    out: Path
    customers: int
    seed: int
    files: list[tuple[ExportFile, Path, int]] = field(default_factory=list)
    defects: list[dict] = field(default_factory=list)  # rows the importer must reject
    typos: list[dict] = field(default_factory=list)  # wrong but readable values
    facts: dict = field(default_factory=dict)
    seconds: float = 0.0


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def chunk_size(customers: int) -> int:
    """Customers per chunk; fixed by the size, so a seed and a size always give the same files."""
    return CHUNK if customers <= LARGE else CHUNK // 2


def generate_steps(customers: int) -> int:
    """How many progress steps :func:`generate_demo` reports."""
    return 3 + -(-customers // chunk_size(customers))


def generate_demo(out: str | Path, customers: int = 5000, seed: int = 1, *,
                  params: DemoParameters | None = None, progress: Progress | None = None) -> DemoResult:
    """Simulate the demo company and write its exports, mappings and ground truth to ``out``.

    Parameters
    ----------
    out
        Folder for the files (created if missing; files of an earlier run are replaced).
    customers
        B2C customers, from 100 to 10,000,000; business accounts are 1 % of that (at least 5).
    seed
        Everything follows from it: the same seed and size give byte-identical files.
    params
        The true parameters; :class:`DemoParameters` defaults when omitted.
    progress
        Called as ``progress(step, done, total)``.
    """
    if not MIN_CUSTOMERS <= customers <= MAX_CUSTOMERS:
        from patron.errors import PatronError

        raise PatronError(f"The demo company has between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,} customers, "
                          f"not {customers:,}.")
    started = time.perf_counter()
    params = params or DemoParameters()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    total_steps = generate_steps(customers)
    report = progress or (lambda step, done, total: None)
    report("simulating customers", 0, total_steps)

    pop = simulate_population(_rng(seed, 0), customers, params)
    catalogue = Catalogue.default()
    end_w = params.observation_weeks
    first_order = order_offsets(pop)
    sinks = {f.name: Sink(out / f.name, f.fmt, f.delimiter) for f in EXPORTS}
    keeper = truth.TruthKeeper(out, pop, params)
    verbatims = quality_plants.VerbatimTruth(out)
    tiers = drivers.true_value_tier(pop, params)
    driver_truth = drivers.DriverTruth()
    # The past campaign draws from its own streams, so every other draw stays as it was without it.
    mailing = campaign.CampaignKeeper(pop, campaign.draw(_rng(seed, 5), pop), int(first_order[-1]))
    result = DemoResult(out=out, customers=customers, seed=seed)
    alike = homophily.HomophilyKeeper(pop.referred_by)

    step = chunk_size(customers)
    for c, lo in enumerate(range(0, customers, step)):
        hi = min(lo + step, customers)
        report(f"customers {lo + 1:,}-{hi:,}", 1 + c, total_steps)
        rng = _rng(seed, 1, c)
        people = exports.person_details(rng, lo, hi, follow=lambda city, birth, c=c, lo=lo, hi=hi: alike.follow(
            _rng(seed, 12, c), lo, hi, city, birth))  # its own stream: the other draws stay as they were
        orders = simulate_orders(rng, pop, lo, hi, params, int(first_order[lo]))
        orders = mailing.apply(_rng(seed, 6, c), orders, lo, hi, params.gg_p)
        lines = simulate_lines(rng, orders, catalogue, params, end_w)
        complaints = service.simulate_complaints(rng, orders, params, end_w)
        contacts = service.simulate_contacts(rng, orders, params, end_w)
        nps = service.simulate_nps(rng, orders, params, end_w)
        csat = service.simulate_csat(rng, contacts, orders, end_w)
        quality_plants.plant_comments(_rng(seed, 8, c), nps)  # its own stream: the other draws stay as they were
        quality_plants.plant_descriptions(_rng(seed, 9, c), complaints)
        verbatims.add(nps, complaints, orders)
        servqual = service.simulate_servqual(rng, pop, lo, hi, params)
        # The relationship survey with the planted drivers draws from its own stream, too.
        survey = drivers.simulate(_rng(seed, 11, c), pop, lo, hi, params, service.SERVQUAL_WAVES_W,
                                  service.SERVQUAL_ITEMS, tiers)
        driver_truth.add(survey)
        consents = mailing.withdraw_consent(service.simulate_consents(rng, pop, lo, hi, params), lo, hi)
        tables = {
            "webshop_customers.csv": exports.webshop_customers(
                rng, pop, lo, hi, people, city_typos=_city_typos(hi - lo) if c == 0 else 0, typos=result.typos),
            "webshop_order_lines.csv": exports.webshop_order_lines(rng, orders, lines, catalogue, people, lo),
            "callcentre_contacts.csv": exports.callcentre_contacts(contacts, orders),
            "callcentre_complaints.csv": exports.callcentre_complaints(complaints, orders),
            "survey_responses.jsonl": pa.concat_tables([
                exports.survey_responses(nps, csat, servqual, contacts, orders, pop),
                drivers.responses(survey, pop, exports.feedback_table)]),
            "survey_consents.jsonl": exports.survey_consents(consents, pop),
        }
        spoiler = _rng(seed, 7, c)  # its own stream: the planted defects do not move with the campaign's orders
        for name, table in tables.items():
            if c == 0:
                table = _spoil(table, sinks[name], spoiler)
            sinks[name].write(table)
        keeper.add_chunk(lo, hi, orders, lines, complaints, nps, consents, servqual)

    report("business accounts", total_steps - 2, total_steps)
    accounts = b2b.simulate_accounts(_rng(seed, 2), b2b.n_accounts(customers, params), params,
                                     len(text.FIRST_NAMES), len(text.LAST_NAMES), len(text.CITIES))
    # The account reviews draw from their own stream; the lost accounts' champions go quiet first.
    accounts = account_reviews.quiet_champions(accounts, _rng(seed, 11))
    account_reviews.plant(_rng(seed, 10), accounts, end_w, out)
    groups = hierarchy.plant(_rng(seed, 40), accounts)  # its own stream: the other draws stay as they were
    suppliers.plant(_rng(seed, 13), account_reviews._when([end_w - 20])[0], out, account_reviews.FILE)
    rng = _rng(seed, 3)
    b2b_tables = {
        "webshop_customers.csv": exports.webshop_business_customers(accounts),
        "erp_invoices.parquet": exports.erp_invoices(accounts),
        "crm_accounts.csv": exports.crm_accounts(accounts),
        "crm_contacts.csv": exports.crm_contacts(accounts),
        "crm_activities.csv": exports.crm_activities(accounts),
        "crm_partners.csv": suppliers.parties(),
        "crm_relationships.csv": pa.concat_tables([relationships.relationships(accounts), suppliers.links(),
                                                   hierarchy.links(accounts, groups)]),
    }
    for name, table in b2b_tables.items():
        if sinks[name].rows == 0:
            table = _spoil(table, sinks[name], rng)
        sinks[name].write(table)
    sinks[partners.PARTNER_PROGRAMME.name].write(partners.plant(_rng(seed, 4), pop, accounts, out))
    # The panel, mystery shoppers and field visits draw from their own stream.
    listened, listening_truth = listening.plant(_rng(seed, 14), pop, params, out)
    sinks[listening.LISTENING_FILE.name].write(listened)

    report("ground truth", total_steps - 1, total_steps)
    for f in EXPORTS:
        sinks[f.name].close()
        (out / f.mapping_name).write_text(f.mapping, encoding="utf-8")
        result.files.append((f, out / f.name, sinks[f.name].rows))
        result.defects.extend(sinks[f.name].defects)
    verbatims.close()
    result.facts = keeper.finish(accounts, result, seed, catalogue, campaign=mailing.facts(),
                                 drivers=driver_truth.facts(), hierarchy=hierarchy.truth(accounts, groups),
                                 listening=listening_truth)
    (out / "truth_homophily.json").write_text(json.dumps(alike.facts(), indent=2), encoding="utf-8")
    pq.write_table(mailing.members_table(), out / "truth_campaign.parquet")
    relationships.write_truth(accounts, out)
    quality_plants.write_references(out)
    result.seconds = time.perf_counter() - started
    report("done", total_steps, total_steps)
    return result


def _city_typos(rows: int) -> int:
    return int(np.clip(round(rows * 0.005), 1, 200))


def _spoil(table, sink: Sink, rng: np.random.Generator):
    defects = DEFECTS.get(sink.path.name)
    if not defects or table.num_rows == 0:
        return table
    per_defect = int(np.clip(round(table.num_rows * 0.001), 2, 50))
    id_col, key_col = ID_AND_KEY[sink.path.name]
    return spoil(table, sink, rng, defects, per_defect, id_col, key_col)


def import_demo(store, out: str | Path, progress: Callable[[str, int, int], None] | None = None) -> list:
    """Import every export in ``out`` with its mapping, parties first. Returns the import reports."""
    from patron.ingest import import_file

    out = Path(out)
    report = progress or (lambda step, done, total: None)
    reports = []
    for i, f in enumerate(EXPORTS):
        report(f"importing {f.name}", i, len(EXPORTS))
        reports.append(import_file(store, out / f.name, f.kind, mapping=out / f.mapping_name))
    quality_plants.import_references(store, out)
    report("imported", len(EXPORTS), len(EXPORTS))
    return reports
