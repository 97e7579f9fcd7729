"""The simulator itself: the buy-till-you-die process, spend, baskets, formatting, determinism."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy.special import hyp2f1

from patron.demo import DemoParameters, generate_demo, text
from patron.demo.catalogue import PARTNER_PROB, Catalogue, build_baskets
from patron.demo.customers import simulate_population
from patron.demo.orders import order_offsets, simulate_orders

N = 200_000


def _mean_within(sample: np.ndarray, expected: float, sigmas: float = 4.0) -> None:
    se = sample.std() / np.sqrt(len(sample))
    assert abs(sample.mean() - expected) < sigmas * se + 1e-9, (sample.mean(), expected, se)


def test_individual_process_matches_bgnbd():
    # Nearly constant lambda and p: the individual-level BG/NBD results must hold.
    lam, p = 0.05, 0.2
    params = DemoParameters(r=1e6, alpha=1e6 / lam, a=2e5, b=8e5)
    pop = simulate_population(np.random.default_rng(3), N, params)
    T = pop.end_w - pop.acquired_w
    _mean_within(pop.x.astype(float), float(np.mean((1 - np.exp(-lam * p * T)) / p)))
    _mean_within((pop.x == 0).astype(float), float(np.mean(np.exp(-lam * T))))


def test_population_expectation_matches_bgnbd_formula():
    params = DemoParameters()
    pop = simulate_population(np.random.default_rng(4), N, params)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t = pop.end_w - pop.acquired_w
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    _mean_within(pop.x.astype(float), float(expected.mean()))
    assert abs(pop.lam.mean() - r / alpha) < 0.01 * r / alpha + 4 * pop.lam.std() / np.sqrt(N)
    assert abs(pop.p.mean() - a / (a + b)) < 4 * pop.p.std() / np.sqrt(N)


def test_summary_is_consistent():
    pop = simulate_population(np.random.default_rng(5), 50_000, DemoParameters())
    churned = ~pop.alive_at_end
    assert np.all(pop.x[churned] == pop.repeat_total[churned])  # churners made all their purchases
    assert np.all(pop.x[~churned] < pop.repeat_total[~churned])
    assert np.all(pop.t_x <= pop.end_w - pop.acquired_w + 1e-9)
    assert np.all((pop.x == 0) == (pop.t_x == 0))
    assert np.allclose(pop.acquired_w[churned] + pop.t_x[churned], pop.dropout_w[churned])
    assert np.all(np.diff(pop.acquired_w) >= 0)


def test_order_values_follow_gamma_gamma():
    params = DemoParameters()
    pop = simulate_population(np.random.default_rng(6), 50_000, params)
    orders = simulate_orders(np.random.default_rng(7), pop, 0, pop.size, params, 0)
    assert len(orders.week) == int((1 + pop.x).sum())
    ratio = orders.value_cents / 100 / (params.gg_p / pop.nu[orders.person])
    _mean_within(ratio, 1.0)
    # Within each person, orders are in time order and start at the acquisition.
    first = order_offsets(pop)[:-1]
    assert np.allclose(orders.week[first], pop.acquired_w)
    same = orders.person[1:] == orders.person[:-1]
    assert np.all(np.diff(orders.week)[same] >= 0)


def test_baskets_add_up_and_carry_the_planted_rule():
    rng = np.random.default_rng(8)
    catalogue = Catalogue.default()
    values = np.round(rng.gamma(6.0, 10.0, 20_000) * 100).astype(np.int64)
    b = build_baskets(rng, values, catalogue)
    totals = np.bincount(b["order"], weights=b["revenue_cents"], minlength=len(values))
    assert np.median(np.abs(totals - values) / values) < 0.01
    first = b["product"][b["line_no"] == 0]
    second_orders = b["order"][b["line_no"] == 1]
    second = b["product"][b["line_no"] == 1]
    share = np.mean(second == catalogue.partner[first[second_orders]])
    assert PARTNER_PROB - 0.05 < share < PARTNER_PROB + 0.1
    assert np.all(b["quantity"] >= 1) and np.all(b["unit_price_cents"] >= 1)


def test_local_time_formatting_matches_strftime():
    seconds = np.random.default_rng(9).integers(946_684_800, 2_114_380_800, 20_000)  # 2000-2036
    ts = pa.array(seconds, pa.timestamp("s", tz="UTC"))
    ours = text.iso_with_offset(ts, "Europe/Berlin")
    ref = pc.strftime(pc.cast(ts, pa.timestamp("s", tz="Europe/Berlin")), format="%Y-%m-%dT%H:%M:%S%z")
    ref = text.join(pc.utf8_slice_codeunits(ref, 0, -2), pc.utf8_slice_codeunits(ref, -2), sep=":")
    assert ours.equals(ref)
    for layout in ("%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%SZ"):
        assert text.format_local(ts, layout).equals(pc.strftime(ts, format=layout))


def test_typos_change_every_value_by_one_keystroke():
    names = pa.array(["Anna Schmidt", "Lukas de Vries", "Mia Nowak"] * 100)
    spoiled = text.typo(names, np.random.default_rng(10))
    assert not pc.any(pc.equal(names, spoiled)).as_py()
    diff = np.abs(np.asarray(pc.utf8_length(spoiled)) - np.asarray(pc.utf8_length(names)))
    assert diff.max() <= 1


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files(tmp_path):
    a = generate_demo(tmp_path / "a", 300, seed=5)
    b = generate_demo(tmp_path / "b", 300, seed=5)
    c = generate_demo(tmp_path / "c", 300, seed=6)
    assert _digests(a.out) == _digests(b.out)
    differs = {k for k, v in _digests(c.out).items() if _digests(a.out)[k] != v}
    assert "webshop_order_lines.csv" in differs and "truth_customers.parquet" in differs


def test_size_is_checked(tmp_path):
    from patron.errors import PatronError

    with pytest.raises(PatronError, match="between"):
        generate_demo(tmp_path, 50)


def test_truth_written_in_slices_is_the_same(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from patron.demo import truth

    whole = generate_demo(tmp_path / "whole", 1000, seed=8)
    monkeypatch.setattr(truth, "TRUTH_SLICE", 300)
    sliced = generate_demo(tmp_path / "sliced", 1000, seed=8)
    a = pq.read_table(whole.out / "truth_customers.parquet")
    b = pq.read_table(sliced.out / "truth_customers.parquet")
    assert a.equals(b)
