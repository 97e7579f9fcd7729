"""What the demo company sells: a small coffee-and-tea catalogue.

Each product has a *partner* that is often bought with it (beans with a
grinder, a teapot with loose tea). The basket builder adds the partner with
a known probability, so association-rule mining has true rules to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMPANY = "Bohne & Blatt"

#: sku, name, list price (EUR), cost as share of list price, popularity weight, partner sku
PRODUCTS = (
    ("BB-ESP-1K", "Espresso beans 1 kg", 24.90, 0.48, 10, "BB-GRN-EL"),
    ("BB-FIL-500", "Filter coffee 500 g", 11.50, 0.45, 12, "BB-FLT-100"),
    ("BB-DEC-500", "Decaf beans 500 g", 12.90, 0.47, 4, "BB-FIL-500"),
    ("BB-SGL-250", "Single-origin Ethiopia 250 g", 9.80, 0.42, 7, "BB-DRP-V60"),
    ("BB-CAP-30", "Coffee capsules, 30 pieces", 8.90, 0.40, 9, "BB-MLK-FR"),
    ("BB-FLT-100", "Paper filters, 100 pieces", 3.50, 0.30, 6, "BB-FIL-500"),
    ("BB-DRP-V60", "Pour-over dripper", 19.00, 0.38, 3, "BB-SGL-250"),
    ("BB-GRN-EL", "Electric burr grinder", 89.00, 0.62, 2, "BB-ESP-1K"),
    ("BB-GRN-MN", "Hand grinder", 39.00, 0.55, 3, "BB-SGL-250"),
    ("BB-FRP-1L", "French press 1 l", 29.00, 0.45, 3, "BB-FIL-500"),
    ("BB-MLK-FR", "Milk frother", 34.50, 0.58, 3, "BB-CAP-30"),
    ("BB-ESM-PRO", "Espresso machine", 349.00, 0.70, 1, "BB-ESP-1K"),
    ("BB-DSC-3", "Descaler, 3 doses", 9.90, 0.35, 4, "BB-ESM-PRO"),
    ("BB-MUG-2", "Stoneware mugs, pair", 22.00, 0.40, 4, "BB-FIL-500"),
    ("BB-TEA-GRN", "Sencha green tea 100 g", 7.90, 0.36, 6, "BB-POT-GL"),
    ("BB-TEA-BLK", "Assam black tea 250 g", 9.50, 0.38, 6, "BB-INF-ST"),
    ("BB-TEA-HRB", "Herbal tea mix 100 g", 6.90, 0.35, 5, "BB-INF-ST"),
    ("BB-TEA-SMP", "Tea sampler, 12 sorts", 18.00, 0.40, 3, "BB-POT-GL"),
    ("BB-POT-GL", "Glass teapot 1.2 l", 27.50, 0.50, 2, "BB-TEA-GRN"),
    ("BB-INF-ST", "Tea infuser, steel", 5.90, 0.30, 4, "BB-TEA-BLK"),
    ("BB-CHO-300", "Drinking chocolate 300 g", 8.50, 0.44, 4, "BB-MUG-2"),
    ("BB-SYR-VAN", "Vanilla syrup 250 ml", 6.50, 0.40, 3, "BB-ESP-1K"),
    ("BB-GFT-BOX", "Gift box coffee & tea", 39.90, 0.52, 2, "BB-MUG-2"),
    ("BB-SUB-MON", "Coffee subscription, 1 month", 29.90, 0.50, 3, "BB-FLT-100"),
)

#: Probability that the second line of an order is the first line's partner.
PARTNER_PROB = 0.55


@dataclass(frozen=True)
class Catalogue:
    sku: tuple[str, ...]
    name: tuple[str, ...]
    price_cents: np.ndarray
    cost_cents: np.ndarray
    popularity: np.ndarray  # probabilities summing to 1
    partner: np.ndarray  # index of each product's partner

    @classmethod
    def default(cls) -> Catalogue:
        sku = tuple(p[0] for p in PRODUCTS)
        price = np.array([round(p[2] * 100) for p in PRODUCTS], dtype=np.int64)
        cost = np.round(price * np.array([p[3] for p in PRODUCTS])).astype(np.int64)
        pop = np.array([p[4] for p in PRODUCTS], dtype=float)
        partner = np.array([sku.index(p[5]) for p in PRODUCTS], dtype=np.int64)
        return cls(sku, tuple(p[1] for p in PRODUCTS), price, cost, pop / pop.sum(), partner)

    def association_rules(self) -> list[dict]:
        """The planted rules ``first -> partner``, as recorded in the truth."""
        return [{"antecedent": self.sku[i], "consequent": self.sku[j], "probability": PARTNER_PROB}
                for i, j in enumerate(self.partner)]


def build_baskets(rng: np.random.Generator, order_value_cents: np.ndarray, catalogue: Catalogue):
    """Turn order values into order lines.

    The first line's product is one priced near the order value (a small
    order is not an espresso machine); the second line is its partner with
    probability :data:`PARTNER_PROB`; other lines follow popularity. The
    first line's quantity brings the list value near the order value, and the
    remaining gap becomes the order's price factor (discounts, bundles), so
    that each order's net total equals its drawn value to within rounding.

    Returns
    -------
    dict of arrays, one entry per line: ``order`` (index into the input),
    ``line_no``, ``product``, ``quantity``, ``unit_price_cents``,
    ``revenue_cents``, ``cost_cents``.
    """
    n = len(order_value_cents)
    z = np.maximum(order_value_cents, 1).astype(float)
    lines = 1 + np.minimum(rng.poisson(np.clip(z / 5000.0, 0.1, 1.5)), 4)  # bigger orders, more lines
    price = catalogue.price_cents
    order_by_price = np.argsort(price)
    log_sorted = np.log(price[order_by_price].astype(float))
    target = np.log(z / lines) + rng.normal(0.0, 0.5, n)
    pos = np.clip(np.searchsorted(log_sorted, target), 1, len(price) - 1)
    nearer_low = (target - log_sorted[pos - 1]) < (log_sorted[pos] - target)
    first = order_by_price[np.where(nearer_low, pos - 1, pos)]

    order = np.repeat(np.arange(n), lines)
    starts = np.concatenate([[0], np.cumsum(lines)[:-1]])
    line_no = np.arange(len(order)) - np.repeat(starts, lines)
    popular = rng.choice(len(price), size=len(order), p=catalogue.popularity)
    partner_line = (line_no == 1) & (rng.random(len(order)) < PARTNER_PROB)
    product = np.where(line_no == 0, first[order], np.where(partner_line, catalogue.partner[first[order]], popular))
    cheap = price[product] < 1000
    quantity = 1 + rng.poisson(np.where(cheap, 0.8, 0.15))

    list_value = price[product] * quantity
    rest = np.bincount(order, weights=np.where(line_no == 0, 0, list_value), minlength=n)
    first_price = price[first].astype(float)
    q1 = np.clip(np.round((z - rest) / first_price), 1, 20).astype(np.int64)
    quantity = np.where(line_no == 0, q1[order], quantity)
    list_value = price[product] * quantity
    basket = np.bincount(order, weights=list_value, minlength=n)
    factor = z / basket
    unit_price = np.maximum(np.round(price[product] * factor[order]), 1).astype(np.int64)
    revenue = unit_price * quantity
    cost = catalogue.cost_cents[product] * quantity
    return {"order": order, "line_no": line_no, "product": product, "quantity": quantity,
            "unit_price_cents": unit_price, "revenue_cents": revenue, "cost_cents": cost}
