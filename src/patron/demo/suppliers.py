"""The demo company's other relationships (issue 15; seed 000's network of the firm): its suppliers, the
distributors that resell its coffee, and its partners in alliances, kept in the sales CRM as accounts of
their own and linked to the firm (``supplier_of``, ``distributor_for``, ``partner_of``).

Each is placed in Bensaou's portfolio by the relationship-specific investments its account manager rated
(the firm's as buyer, the other's as supplier; 4-5 high, 1-2 low): the quadrants go round the suppliers in
turn, so every cell holds two of them. ``truth_suppliers.parquet`` names each one's link and quadrant.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from patron.demo.catalogue import COMPANY
from patron.store.vocabulary import BENSAOU_QUADRANTS

#: The firm itself, the party the others are linked to.
FIRM = ("FIRM-1", COMPANY, "internal_unit", "Hamburg", "DE")
#: (name, category, link to the firm, city, country)
PARTNERS = (
    ("Hanseatic Green Coffee Import GmbH", "supplier", "supplier_of", "Hamburg", "DE"),
    ("Cooperativa Cafetalera del Sur", "supplier", "supplier_of", "Hamburg", "DE"),
    ("Darjeeling Estates Trading Ltd", "supplier", "supplier_of", "Berlin", "DE"),
    ("Espressotechnik Rhein AG", "supplier", "supplier_of", "Koeln", "DE"),
    ("Verpackungswerk Nord KG", "supplier", "supplier_of", "Hannover", "DE"),
    ("Kontor Logistik GmbH", "supplier", "supplier_of", "Hamburg", "DE"),
    ("Milchhof Alpenland eG", "supplier", "supplier_of", "Muenchen", "DE"),
    ("Zuckerraffinerie Elbe GmbH", "supplier", "supplier_of", "Dresden", "DE"),
    ("Gastro-Vertrieb Sued GmbH", "customer", "distributor_for", "Stuttgart", "DE"),
    ("Bureau Koffie Benelux BV", "customer", "distributor_for", "Duesseldorf", "DE"),
    ("Fair Trade Alliance e.V.", "non_profit", "partner_of", "Berlin", "DE"),
    ("Barista Akademie Leipzig GmbH", "customer", "partner_of", "Leipzig", "DE"),
)
MANAGER = "Lars Holm"


def keys() -> list[str]:
    return [f"SUP-{i:03d}" for i in range(1, len(PARTNERS) + 1)]


def parties() -> pa.Table:
    """``crm_partners.csv``: the firm and each supplier, distributor and partner."""
    rows = [FIRM, *((k, name, cat, city, country) for k, (name, cat, _, city, country) in zip(keys(), PARTNERS))]
    return pa.table({"Account ID": [r[0] for r in rows], "Account Name": [r[1] for r in rows],
                     "Type": ["organisation"] * len(rows), "Category": [r[2] for r in rows],
                     "Billing City": [r[3] for r in rows], "Billing Country": [r[4] for r in rows]})


def links() -> pa.Table:
    """Rows for ``crm_relationships.csv``: each one linked to the firm."""
    n = len(PARTNERS)
    return pa.table({"Relationship ID": [f"REL-S{i:03d}" for i in range(1, n + 1)], "Contact ID": keys(),
                     "Related ID": [FIRM[0]] * n, "Relation": [p[2] for p in PARTNERS],
                     "Role": pa.nulls(n, pa.string())})


def plant(rng: np.random.Generator, reviewed_at: pa.TimestampScalar, out: Path, reviews: str) -> None:
    """Add each one's rated investments to the reviews file ``reviews`` and write ``truth_suppliers.parquet``."""
    n = len(PARTNERS)
    # The quadrants go round the suppliers and, apart, round the others: every cell holds suppliers.
    is_supplier = np.array([p[1] == "supplier" for p in PARTNERS])
    quadrant = np.zeros(n, np.int64)
    for group in (is_supplier, ~is_supplier):
        quadrant[group] = rng.permutation(np.arange(group.sum()) % len(BENSAOU_QUADRANTS))
    rows: dict[str, list] = {k: [] for k in ("crm_key", "kind", "form", "item", "score", "answer", "assessed_at",
                                             "assessed_by")}
    for key, q in zip(keys(), quadrant):
        buyer, supplier = q % 2 == 1, q >= 2  # the vocabulary's order: buyer high adds 1, supplier 2
        for item, high in (("buyer_investment", buyer), ("supplier_investment", supplier)):
            for k, v in zip(rows, (key, "account", "investments", item,
                                   float(rng.integers(4, 6) if high else rng.integers(1, 3)), None,
                                   reviewed_at.as_py(), MANAGER)):
                rows[k].append(v)
    path = Path(out) / reviews
    existing = pq.read_table(path)
    pq.write_table(pa.concat_tables([existing, pa.table(rows, schema=existing.schema)]), path)
    pq.write_table(pa.table({
        "key": keys(), "name": [p[0] for p in PARTNERS], "category": [p[1] for p in PARTNERS],
        "link_type": [p[2] for p in PARTNERS], "bensaou": [BENSAOU_QUADRANTS[q] for q in quadrant],
    }), Path(out) / "truth_suppliers.parquet")
