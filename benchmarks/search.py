"""Search, list pages and the customer 360 on a large embedded (DuckDB) store: p50 / p95 per kind of request.

Usage: python benchmarks/search.py [--customers 1000000] [--keep DIR] [--repeat 40] [--clients 1]

Builds a synthetic store in DIR (reused when it is already there) straight with SQL, which is much faster than
the demo company: parties with accented names and phones in mixed formats, an identity each, three order lines
each with an order number, an interaction each, and one current run of scores. Then calls the service functions
the API calls (no HTTP: ``benchmarks/api.py`` measures the server) with N threads, and prints the latencies
(and the CPU time per call, which depends less on what else a shared machine runs) of:

- search by a surname typed without accents, by two words in the other order, by a phone in another format,
  by an order number, by an email;
- list pages: filtered (triage and a CLV range) and sorted by CLV, page 1 and page 50 (by cursor), and the
  consent-filtered list;
- the customer 360 of random customers.

Targets (issue 11): search and list pages p95 < 100 ms; 360 p95 < 50 ms, at 1M customers.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path

SURNAMES = ["Müller", "Gonçalves", "Łukasz", "Søren", "Núñez", "Dvořák", "Ødegaard", "Björk", "Ferrand", "Smith",
            "García", "Rossi", "Nowak", "Novák", "Jensen", "Lefèvre", "Öztürk", "Silva", "Costa", "Weiß"]
GIVEN = ["Anna", "José", "Zoë", "Léa", "Jürgen", "Ana", "Luís", "Maria", "Tomás", "Inês", "John", "Chloé"]


def build(path: Path, customers: int) -> None:
    from patron.store import Store

    try:
        from patron.store import search_index
    except ImportError:  # patron before the search index (migration 19): measuring the code it replaced
        search_index = None

    with Store(path) as store:
        if store.count("parties"):
            if search_index is not None and search_index.stale(store):  # a store built before the search index (migration 19)
                t = time.perf_counter()
                print(f"search index rebuilt: {search_index.rebuild(store):,} tokens in {time.perf_counter() - t:.0f} s")
            return
        t = time.perf_counter()
        sur = "[" + ", ".join(f"'{s}'" for s in SURNAMES) + "]"
        giv = "[" + ", ".join(f"'{g}'" for g in GIVEN) + "]"
        with store.transaction():
            store.raw.execute(f"""
                INSERT INTO parties (party_id, kind, category, name, email, phone, country, created_at, owner)
                SELECT i, 'person', 'customer',
                       {giv}[1 + (hash(i) % {len(GIVEN)})::BIGINT] || ' ' || {sur}[1 + (hash(i * 7) % {len(SURNAMES)})::BIGINT]
                         || '-' || (i % 997)::VARCHAR,
                       'person' || i || '@example.com',
                       CASE i % 3 WHEN 0 THEN '+44 20 ' || lpad((i % 10000)::VARCHAR, 4, '0') || ' '
                                             || lpad((i // 10000)::VARCHAR, 4, '0')
                                  WHEN 1 THEN '020' || lpad((i % 10000)::VARCHAR, 4, '0')
                                             || lpad((i // 10000)::VARCHAR, 4, '0')
                                  ELSE '0044 (20) ' || lpad((i % 10000)::VARCHAR, 4, '0') || '-'
                                       || lpad((i // 10000)::VARCHAR, 4, '0') END,
                       ['PT', 'DE', 'FR', 'GB', 'ES'][1 + i % 5], TIMESTAMP '2020-01-01', NULL
                FROM range(1, {customers + 1}) r(i)""")
            store.raw.execute(f"INSERT INTO identities (party_id, source, source_key) SELECT i, 'crm', 'C' || i "
                              f"FROM range(1, {customers + 1}) r(i)")
            store.raw.execute(f"""
                INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, document, occurred_at,
                                          revenue, currency)
                SELECT n, 'shop', n::VARCHAR, 1 + (n % {customers}), 'order', 'SO-' || n::VARCHAR,
                       TIMESTAMP '2022-01-01' + INTERVAL (n % 900) DAY, 10 + n % 90, 'EUR'
                FROM range(1, {3 * customers + 1}) r(n)""")
            store.raw.execute(f"""
                INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, channel)
                SELECT i, 'crm', i::VARCHAR, i, TIMESTAMP '2023-01-01' + INTERVAL (i % 700) DAY, 'phone'
                FROM range(1, {customers + 1}) r(i)""")
            store.raw.execute("INSERT INTO runs (run_id, kind, started_at, as_of, engine, settings, status) "
                              "VALUES (1, 'value', now()::TIMESTAMP, TIMESTAMP '2024-12-31', 'duckdb', '{}', "
                              "'current')")
            store.raw.execute(f"""
                INSERT INTO scores (run_id, party_id, clv, p_alive, revenue, rung, triage, rfm_segment,
                                    last_purchase_at, frequency, recency, t, expected_purchases, expected_spend)
                SELECT 1, i, (hash(i) % 100000)::BIGINT / 37.0, (hash(i * 3) % 1000)::BIGINT / 1000.0, (hash(i * 5) % 5000)::BIGINT / 3.0,
                       ['customer', 'client', 'supporter', 'advocate', 'lapsed'][1 + i % 5],
                       ['best', 'average', 'worst'][1 + i % 3], 'loyal', TIMESTAMP '2024-01-01', 2, 30.0, 50.0, 1.2, 45.0
                FROM range(1, {customers + 1}) r(i)""")
            store.raw.execute(f"""
                INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted,
                                      recorded_at)
                SELECT i, 'crm', i::VARCHAR, i, 'email', 'newsletter', i % 4 <> 0, TIMESTAMP '2023-01-01'
                FROM range(1, {customers + 1}) r(i)""")
        print(f"built {customers:,} customers in {time.perf_counter() - t:.0f} s")
        if search_index is None:
            return
        # Rows written straight with SQL: the read model and the index are made as `patron reindex` makes them
        # (the picture first: the index's tokens carry its CLV).
        t = time.perf_counter()
        from patron.store import picture

        with store.transaction():
            print(f"read model rebuilt: {picture.rebuild(store):,} parties in {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        print(f"search index rebuilt: {search_index.rebuild(store):,} tokens in {time.perf_counter() - t:.0f} s")


def phone_of(i: int) -> str:
    """Customer ``i // 3 * 3 + 1``'s phone (stored as 020NNNNNNNN) typed the international way."""
    i = i // 3 * 3 + 1
    return f"+44 20 {i % 10000:04d} {i // 10000:04d}"


def timed(calls, clients: int, store) -> dict:
    """Each call given a connection of its own thread's (a DuckDB connection serves one thread at a time)."""
    latencies, lock = [], threading.Lock()

    def run(chunk):
        mine = []
        mine_store = store.cursor()
        for call in chunk:
            t = time.perf_counter()
            call(mine_store)
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(calls[i::clients],)) for i in range(clients)]
    cpu = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = time.process_time() - cpu
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    # CPU per call (this process's, DuckDB's threads included): what a call costs whatever else the machine runs.
    return {"n": len(latencies), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "cpu_ms": cpu / len(latencies) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="patron-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "search.duckdb"
    build(path, args.customers)

    from patron.areas.parties.lists import customer_list
    from patron.areas.parties.service import party_360, search_parties
    from patron.service.permissions import User
    from patron.store import Store

    user = User(1, "bench", "sales")
    rng = random.Random(3)
    n = args.customers
    with Store(path) as store:
        def cursor_of(page: int, filters, sort):
            cursor = None
            for _ in range(page - 1):
                cursor = customer_list(store, user, filters, sort=sort, cursor=cursor, limit=50)["next_cursor"]
            return cursor

        filters = [{"field": "triage", "op": "eq", "value": "best"}, {"field": "clv", "op": "between",
                                                                       "value": [100, 2000]}]
        deep = cursor_of(50, filters, "-clv")
        cases = {
            "search: surname without accents": lambda st: search_parties(st, user, rng.choice(
                ["muller", "goncalves", "nunez", "dvorak", "odegaard", "bjork", "lefevre", "ozturk"])),
            "search: two words, other order": lambda st: search_parties(st, user, "muller zoe"),
            "search: phone in another format": lambda st: search_parties(st, user, phone_of(rng.randrange(1, n))),
            "search: order number": lambda st: search_parties(st, user, f"SO-{rng.randrange(1, 3 * n)}"),
            "search: email": lambda st: search_parties(st, user, f"person{rng.randrange(1, n)}@example.com"),
            "list: filtered, sorted by CLV, page 1": lambda st: customer_list(st, user, filters, sort="-clv"),
            "list: filtered, sorted by CLV, page 50": lambda st: customer_list(st, user, filters, sort="-clv",
                                                                             cursor=deep),
            "list: with email consent, by name": lambda st: customer_list(
                st, user, [{"field": "consent", "op": "granted", "value": "email"}], sort="name"),
            "customer 360": lambda st: party_360(st, user, rng.randrange(1, n)),
        }
        for name, call in cases.items():
            call(store)  # warm
            r = timed([call] * args.repeat, args.clients, store)
            print(f"{name:42s} p50 {r['p50_ms']:8.1f} ms   p95 {r['p95_ms']:8.1f} ms   cpu {r['cpu_ms']:6.1f} ms   (n={r['n']}, "
                  f"{args.clients} client(s), {n:,} customers)")


if __name__ == "__main__":
    main()
