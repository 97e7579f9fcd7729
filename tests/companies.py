"""The demo company as most suites start from it: generated, imported into a store, analysed."""

from __future__ import annotations

from pathlib import Path

from patron.demo import generate_demo, import_demo
from patron.service.analyze import analyze
from patron.store import Store


def demo_company(folder: Path, customers: int, seed: int, store: str | Path | None = None, *,
                 analysed: bool = True) -> Store:
    """``customers`` demo customers (``seed``) exported to ``folder/data`` and imported into ``store`` (a URL;
    default a DuckDB file in ``folder``), with one analysis run unless not ``analysed``. The caller closes it."""
    generate_demo(folder / "data", customers, seed)
    opened = Store(store if store is not None else folder / "patron.duckdb")
    import_demo(opened, folder / "data")
    if analysed:
        analyze(opened)
    return opened


def bgnbd_orders(customers: int = 120, seed: int = 4, *, end: str = "2024-12-27") -> list[str]:
    """CSV lines ``C<i>,<date>,<amount>`` of BG/NBD buyers: gamma-distributed purchase rates, a dropout chance
    after each purchase, each with their own spend level. Data the models identify: a regular pattern shared
    by everyone would not be, and patron refuses a run whose fit runs away."""
    import datetime as dt

    import numpy as np

    rng = np.random.default_rng(seed)
    start, last = dt.date(2024, 1, 1), dt.date.fromisoformat(end)
    rows = []
    for c in range(customers):
        rate, p_drop, spend = rng.gamma(2.0, 1 / 60), rng.beta(1.5, 6), rng.gamma(4, 12)
        day = start + dt.timedelta(days=int(rng.integers(0, 120)))
        while day <= last:
            rows.append(f"C{c},{day},{spend * rng.gamma(6, 1 / 6):.2f}\n")
            if rng.random() < p_drop:
                break
            day += dt.timedelta(days=int(rng.exponential(1 / rate)) + 1)
    return rows
