"""Benchmarks, gap 1 and the zone of tolerance: the demo's planted competitor scores and management estimates
are read back; a hand-built zone of tolerance; a bad reference table is refused whole."""

from __future__ import annotations

import json

import pytest

from patron.areas.quality.references import benchmark_report, import_references, internal_gaps, zone_of_tolerance
from patron.errors import InvalidInput
from patron.service.permissions import User

ANALYST = User(1, "ann", "analyst")


def test_demo_benchmarks_dimension_by_dimension_and_over_time(company, company_folder):
    store, _ = company
    truth = json.loads((company_folder / "data" / "truth_quality.json").read_text())
    r = benchmark_report(store, ANALYST)
    assert set(r["benchmarks"]) == set(truth["benchmarks"])
    assert {x["source"] for x in r["rows"]} == {"benchmark table", "mystery_shopper"}
    cells = {(x["benchmark"], x["year"], x["dimension"]): x for x in r["rows"] if x["source"] == "benchmark table"}
    assert len(cells) == 3 * 3 * 5 and all(x["ours"] is not None for x in r["rows"])
    reference, ref = next(iter(truth["benchmarks"].items()))
    for name, b in truth["benchmarks"].items():
        first = {d: cells[(name, 2023, d)]["difference"] for d in b["offset"]}
        # ours - theirs is minus the planted offset plus our own sample's error, which is the same for every
        # benchmark (a year's few dozen answers): so between two benchmarks the differences follow the offsets
        for d, off in b["offset"].items():
            between = first[d] - cells[(reference, 2023, d)]["difference"]
            assert abs(between + (off - ref["offset"][d])) < 0.15, (name, d, between, off, ref["offset"][d])
        # where a benchmark leads the reference most is where it was planted furthest ahead of it
        lead = {d: cells[(reference, 2023, d)]["difference"] - first[d] for d in first}
        if name != reference:
            assert max(lead, key=lead.get) == max(b["offset"], key=lambda d: b["offset"][d] - ref["offset"][d])
        # over time: a competitor that improves by 0.3 a year is 0.6 ahead in 2025 of where it was in 2023
        moved = cells[(name, 2025, "reliability")]["theirs"] - cells[(name, 2023, "reliability")]["theirs"]
        assert moved == pytest.approx(2 * b["trend"], abs=0.02)
    # the industry norm was published on a 1-10 scale and is mapped onto 1-7
    assert all(1 <= x["theirs"] <= 7 for x in r["rows"])


def test_demo_gap1_management_underrates_speed(company, company_folder):
    store, _ = company
    truth = json.loads((company_folder / "data" / "truth_quality.json").read_text())
    r = {d["dimension"]: d for d in internal_gaps(store, ANALYST)["dimensions"]}
    assert set(r) == set(truth["management_gap1"])
    for d, planted in truth["management_gap1"].items():
        assert abs(r[d]["gap1"] - planted) < 0.35, (d, r[d], planted)  # customers' answers are rounded, clipped
    assert min(r, key=lambda d: r[d]["gap1"]) == "responsiveness"


@pytest.fixture()
def small_store(store):
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at) "
                      "VALUES (1, 'person', 'customer', '2025-01-01'), (2, 'person', 'customer', '2025-01-01')")
    rows = [  # dimension, adequate, desired, perception: reliability below the zone, empathy above, assurance in it
        ("reliability", 5, 7, 4), ("reliability", 6, 7, 4), ("reliability", 5, 6, 3),
        ("empathy", 3, 5, 6), ("empathy", 2, 4, 6), ("empathy", 3, 5, 7),
        ("assurance", 3, 7, 5), ("assurance", 4, 6, 5), ("assurance", 3, 7, 6),
    ]
    for k, (dim, a, d, p) in enumerate(rows):
        store.raw.execute(
            "INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, dimension, "
            "scale_max, expectation, perception, adequate, desired) VALUES (?, 'x', ?, ?, TIMESTAMP '2025-03-01', "
            "'servqual', ?, 7, ?, ?, ?, ?)", [k + 1, str(k), 1 + k % 2, dim, d, p, a, d])
    return store


def test_zone_of_tolerance_by_hand(small_store):
    r = {d["dimension"]: d for d in zone_of_tolerance(small_store, ANALYST)["dimensions"]}
    assert r["reliability"]["msa"]["value"] == pytest.approx(((4 - 5) + (4 - 6) + (3 - 5)) / 3)
    assert r["reliability"]["position"] == "below the zone"
    assert r["empathy"]["mss"]["value"] == pytest.approx(((6 - 5) + (6 - 4) + (7 - 5)) / 3)
    assert r["empathy"]["position"] == "above the zone"
    assert r["assurance"]["position"] in ("within the zone", "at an edge of the zone")
    assert r["assurance"]["adequate"] == pytest.approx(10 / 3) and r["assurance"]["desired"] == pytest.approx(20 / 3)


def test_bad_reference_table_is_refused_whole(small_store, tmp_path):
    bad = tmp_path / "bench.csv"
    bad.write_text("kind,name,period,dimension,item,score,scale_max\n"
                   "competitor,A,2025-01-01,reliability,,5.5,7\n"
                   "rival,B,2025-01-01,reliability,,5.5,7\n"
                   "competitor,C,2025-01-01,speed,,5.5,7\n"
                   "competitor,D,someday,empathy,,9,7\n")
    with pytest.raises(InvalidInput) as err:
        import_references(small_store, ANALYST, bad)
    msg = str(err.value)
    assert "3 bad row(s)" in msg and "line 3" in msg and "line 4" in msg and "line 5" in msg
    assert small_store.scalar("SELECT count(*) FROM quality_references") == 0
    good = tmp_path / "ok.csv"
    good.write_text("kind,name,period,dimension,score,scale_max\ncompetitor,A,2025-01-01,reliability,8,10\n")
    assert import_references(small_store, ANALYST, good)["imported"] == 1
    row = benchmark_report(small_store, ANALYST)["rows"][0]
    assert row["theirs"] == pytest.approx(1 + 7 * 6 / 9) and row["ours"] == pytest.approx(11 / 3)
    with pytest.raises(InvalidInput, match="no file"):
        import_references(small_store, ANALYST, tmp_path / "missing.csv")


def test_cohort_retention_by_hand(small_store):
    from patron.areas.quality.cohorts import cohort_retention, heatmap_svg

    store = small_store
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at) "
                      "VALUES (3, 'person', 'customer', '2025-01-01')")
    buys = [(1, "2025-01-05"), (1, "2025-02-10"), (1, "2025-02-20"), (1, "2025-04-01"),  # Jan cohort
            (2, "2025-01-20"), (2, "2025-03-03"),  # Jan cohort
            (3, "2025-02-14"), (3, "2025-04-30")]  # Feb cohort; the data end in April
    for k, (party, day) in enumerate(buys):
        store.raw.execute("INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, occurred_at, "
                          "revenue) VALUES (?, 'x', ?, ?, 'order', CAST(? AS TIMESTAMP), 10)", [k + 1, str(k), party, day])
    r = cohort_retention(store, ANALYST)
    jan, feb = r["cohorts"]
    assert jan["customers"] == 2 and jan["retention"] == [1.0, 0.5, 0.5, 0.5]  # months 0-3 (April is the end)
    assert feb["customers"] == 1 and feb["retention"] == [1.0, 0.0, 1.0]
    assert heatmap_svg(r).count('class="cohort-cell"') == 7


def test_mystery_shopper_report_by_hand(small_store):
    from patron.areas.quality.service import instrument_report

    store = small_store
    visits = [  # (party, day, dimension, perception, benchmark, text)
        (1, "2025-03-01", "reliability", 5, None, "Shelves tidy, staff greeted me"),
        (2, "2025-03-15", "reliability", 3, None, None),
        (1, "2025-04-02", "reliability", 6, "Bean Bros", "Their barista knew every blend"),
    ]
    for k, (party, day, dim, p, bench, text) in enumerate(visits):
        store.raw.execute(
            "INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, dimension, "
            "scale_max, perception, benchmark, text) VALUES (?, 'x', ?, ?, CAST(? AS TIMESTAMP), 'mystery_shopper', "
            "?, 7, ?, ?, ?)", [100 + k, f"m{k}", party, day, dim, p, bench, text])
    r = instrument_report(store, ANALYST, "mystery_shopper")
    assert r["answers"] == 3 and r["respondents"] == 2
    # a shopper scores dimensions (perceptions), not an overall score: the month has no mean score
    assert r["by_month"] == [{"month": "2025-03", "answers": 2, "respondents": 2, "mean_score": None},
                             {"month": "2025-04", "answers": 1, "respondents": 1, "mean_score": None}]
    per = {(p["of"], p["dimension"]): p for p in r["perception"]}
    assert per[("us", "reliability")]["value"] == pytest.approx(4) and per[("us", "reliability")]["n"] == 2
    assert per[("Bean Bros", "reliability")]["value"] == pytest.approx(6)
    assert [t["text"] for t in r["texts"]] == ["Their barista knew every blend", "Shelves tidy, staff greeted me"]
    with pytest.raises(InvalidInput, match="Unknown instrument"):
        instrument_report(store, ANALYST, "nps")
