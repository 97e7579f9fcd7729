"""The demo company as most suites start from it: generated, imported into a store, analysed."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from patron.demo import generate_demo, import_demo
from patron.service.analyze import analyze
from patron.store import Store

#: Built companies of this test run, by (engine or server, customers, seed, analysed): the folder holding the
#: demo's files and its DuckDB file, or the PostgreSQL database copied from. Building one took 15-50 s on the
#: shared 2-core machine (import and analysis); a copy of the file or database takes well under a second, and
#: the suite asked for the same few companies about 30 times.
_BUILT: dict[tuple, Path] = {}
_DATABASES: dict[tuple, str] = {}
_CACHE: list[Path] = []


def _cache_folder() -> Path:
    if not _CACHE:
        _CACHE.append(Path(tempfile.mkdtemp(prefix="patron-demo-cache-")))
        atexit.register(shutil.rmtree, _CACHE[0], True)
    return _CACHE[0]


def _server_and_database(url: str) -> tuple[str, str]:
    server, _, database = url.rpartition("/")
    return server, database


def _pg_execute(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as con:
        con.execute(sql)


def demo_company(folder: Path, customers: int, seed: int, store: str | Path | None = None, *,
                 analysed: bool = True) -> Store:
    """``customers`` demo customers (``seed``) exported to ``folder/data`` and imported into ``store`` (a URL;
    default a DuckDB file in ``folder``), with one analysis run unless not ``analysed``. The caller closes it.

    The same company is built once per test run and engine, then copied: the demo's files into
    ``folder/data`` and the DuckDB file (or, on PostgreSQL, the database) into ``store``. What the caller gets
    is the store it would have built, its own to write to.
    """
    target = str(store if store is not None else folder / "patron.duckdb")
    postgres = target.startswith("postgresql://")
    where = _server_and_database(target)[0] if postgres else "duckdb"
    key = (where, customers, seed, analysed)
    built = _BUILT.get(key)
    if built is None:
        _build(folder, customers, seed, target, analysed).close()
        number = len(_BUILT)
        cached = _cache_folder() / str(number)
        shutil.copytree(folder / "data", cached / "data")
        if postgres:
            server, database = _server_and_database(target)
            _pg_execute(server, f"CREATE DATABASE demo_cache_{number} TEMPLATE {database}")
            _DATABASES[key] = f"demo_cache_{number}"
        else:
            assert not Path(f"{target}.wal").exists(), "the closed store left a WAL file: copy it too"
            shutil.copyfile(target, cached / "patron.duckdb")
        _BUILT[key] = cached
        return Store(target)
    shutil.copytree(built / "data", folder / "data", dirs_exist_ok=True)
    if postgres:
        server, database = _server_and_database(target)
        _pg_execute(server, f"DROP DATABASE IF EXISTS {database}")
        _pg_execute(server, f"CREATE DATABASE {database} TEMPLATE {_DATABASES[key]}")
    else:
        if Path(target).exists():
            raise FileExistsError(f"demo_company copies its store into {target}, which already exists")
        shutil.copyfile(built / "patron.duckdb", target)
    return Store(target)


def _build(folder: Path, customers: int, seed: int, store: str, analysed: bool) -> Store:
    generate_demo(folder / "data", customers, seed)
    opened = Store(store)
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
