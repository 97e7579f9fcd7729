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
