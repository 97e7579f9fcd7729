"""customer_summary: hand-computed cases and a cross-check against lifetimes.

lifetimes 0.11.3 still runs ``summary_data_from_transaction_data`` and
``calibration_and_holdout_data`` on pandas 3 for ``freq='D'`` and ``'W'``;
no workaround was needed. It has no working monthly mode (it divides by
``np.timedelta64(1, 'M')``), so months are checked by hand.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from patron.analytics.periods import ordinal_of, period_ordinal, period_start
from patron.analytics.summary import customer_summary, summary_arrays

lifetimes_utils = pytest.importorskip("lifetimes.utils")

FREQ = {"day": "D", "week": "W"}


def _generated_log(seed: int = 7, customers: int = 400) -> pd.DataFrame:
    """Purchases with same-day repeats, late-evening rows, rows after the end, refunds."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(1, customers + 1):
        first = pd.Timestamp("2022-06-01") + pd.Timedelta(seconds=int(rng.integers(0, 500 * 86400)))
        times = [first]
        for _ in range(int(rng.geometric(0.3)) - 1):
            times.append(first + pd.Timedelta(seconds=int(rng.integers(0, 400 * 86400))))
        if rng.random() < 0.3:  # a second purchase the same day
            times.append(first.normalize() + pd.Timedelta(hours=23, minutes=59))
        for ts in times:
            rows.append((c, ts, round(float(rng.uniform(1, 300)), 2), "order"))
        if rng.random() < 0.15:
            rows.append((c, times[-1] + pd.Timedelta(days=int(rng.integers(0, 30))),
                         -round(float(rng.uniform(1, 50)), 2), "refund"))
    log = pd.DataFrame(rows, columns=["party_id", "occurred_at", "revenue", "kind"])
    return log.sort_values(["party_id", "occurred_at"], kind="stable").reset_index(drop=True)


def _load(store, log: pd.DataFrame) -> None:
    store.raw.register("generated_log", log)
    store.raw.execute(
        "INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, occurred_at, revenue) "
        "SELECT row_number() OVER (), 'gen', 'g' || row_number() OVER (), party_id, kind, occurred_at, "
        "revenue::DECIMAL(18, 4) FROM generated_log"
    )
    store.raw.unregister("generated_log")


@pytest.fixture(scope="module")
def log():
    return _generated_log()


@pytest.fixture
def loaded(store, log):
    _load(store, log)
    return store


def _ours(store, **kw) -> pd.DataFrame:
    return customer_summary(store.table("transactions"), **kw).to_pandas().set_index("party_id").sort_index()


def _assert_same(ours: pd.DataFrame, ref: pd.DataFrame, columns: dict[str, str]) -> None:
    ref = ref.sort_index()
    assert list(ours.index) == list(ref.index)
    for mine, theirs in columns.items():
        np.testing.assert_allclose(ours[mine].to_numpy(float), ref[theirs].to_numpy(float), rtol=1e-12,
                                   atol=1e-9, err_msg=mine)


MODEL = {"frequency": "frequency", "recency": "recency", "T": "T", "monetary_value": "monetary_value"}


@pytest.mark.parametrize("unit", ["day", "week"])
def test_summary_matches_lifetimes(loaded, log, unit, engine):
    purchases = log[log.kind == "order"]
    ref = lifetimes_utils.summary_data_from_transaction_data(
        purchases, "party_id", "occurred_at", "revenue", observation_period_end="2023-09-30", freq=FREQ[unit]
    )
    ours = _ours(engine(loaded), time_unit=unit, observation_end="2023-09-30")
    _assert_same(ours, ref, MODEL)
    assert ours.frequency.dtype == np.int64


@pytest.mark.parametrize("unit", ["day", "week"])
def test_refunds_as_negative_rows_match_lifetimes_on_the_raw_log(loaded, log, unit):
    # Default observation end: the latest row of the whole log, in both.
    ref = lifetimes_utils.summary_data_from_transaction_data(
        log, "party_id", "occurred_at", "revenue", freq=FREQ[unit]
    )
    ours = _ours(loaded, time_unit=unit, include_refunds=True)
    _assert_same(ours, ref, MODEL)


@pytest.mark.parametrize("unit", ["day", "week"])
def test_calibration_and_holdout_match_lifetimes(loaded, log, unit, engine):
    purchases = log[log.kind == "order"]
    cal_end, obs_end = "2023-05-17 12:00", "2023-11-30"
    ref = lifetimes_utils.calibration_and_holdout_data(
        purchases, "party_id", "occurred_at", calibration_period_end=cal_end,
        observation_period_end=obs_end, freq=FREQ[unit], monetary_value_col="revenue",
    )
    ours = _ours(engine(loaded), time_unit=unit, calibration_end=cal_end, observation_end=obs_end)
    _assert_same(ours, ref, {
        "frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal",
        "monetary_value": "monetary_value_cal", "frequency_holdout": "frequency_holdout",
        "duration_holdout": "duration_holdout",
    })
    # Holdout value: a mean over purchase periods. lifetimes averages raw rows,
    # which is the same wherever a holdout period holds one row.
    holdout = purchases[(purchases.occurred_at > cal_end) & (purchases.occurred_at <= obs_end)].copy()
    holdout["period"] = holdout.occurred_at.dt.to_period(FREQ[unit])
    per_period = holdout.groupby(["party_id", "period"]).revenue.agg(["sum", "size"])
    expected = per_period["sum"].groupby(level="party_id").mean()
    expected = expected.reindex(ours.index).fillna(0.0)
    np.testing.assert_allclose(ours.monetary_value_holdout, expected, rtol=1e-12, atol=1e-9)
    single = per_period["size"].groupby(level="party_id").max().reindex(ours.index).fillna(1) == 1
    np.testing.assert_allclose(ours.monetary_value_holdout[single],
                               ref.sort_index().monetary_value_holdout[single], rtol=1e-12, atol=1e-9)
    assert (~single).any(), "the generated log should exercise the documented difference"


def test_hand_made_summary_in_money(store, facts, engine):
    # Party 1: two lines of order A on Jan 1, order B (no document) on Jan 3, a refund.
    facts.tx(1, "2024-01-01 09:00", 10, document="A", cost=4)
    facts.tx(1, "2024-01-01 09:00", 5, document="A")
    facts.tx(1, "2024-01-03 18:30", 20, cost=5)
    facts.tx(1, "2024-01-04 10:00", 3, kind="refund")  # a refund stored with a positive amount
    facts.tx(1, "2024-01-20 10:00", 99)  # after the observation end: not seen
    facts.tx(2, "2024-01-02 08:00", 7)
    facts.tx(3, "2024-01-02 08:00", -7, kind="refund")  # refund only: no summary row
    s = _ours(engine(store), observation_end="2024-01-10")
    assert list(s.index) == [1, 2]
    one = s.loc[1]
    assert (one.frequency, one.recency, one["T"], one.monetary_value) == (1, 2, 9, 20.0)
    assert one.first_purchase_at == pd.Timestamp("2024-01-01 09:00")
    assert one.last_purchase_at == pd.Timestamp("2024-01-03 18:30")
    assert (one.orders, one.revenue, one.refunds, one.refund_value, one.net_revenue) == (2, 35.0, 1, 3.0, 32.0)
    assert one.margin == pytest.approx((10 - 4) + (20 - 5))
    assert one.margin_coverage == pytest.approx(30 / 35)
    two = s.loc[2]
    assert (two.frequency, two.recency, two["T"], two.monetary_value, two.orders) == (0, 0, 8, 0.0, 1)
    assert np.isnan(two.margin) and two.margin_coverage == 0.0


def test_month_periods_by_hand(store, facts, engine):
    facts.tx(1, "2023-11-30 23:00", 10)
    facts.tx(1, "2023-12-01 00:30", 20)
    facts.tx(1, "2023-12-31 12:00", 30)
    facts.tx(1, "2024-03-02", 40)
    s = _ours(engine(store), time_unit="month", observation_end="2024-03-01")  # March is observed whole
    one = s.loc[1]
    assert (one.frequency, one.recency, one["T"]) == (2, 4, 4)
    assert one.monetary_value == pytest.approx((20 + 30 + 40) / 2)


def test_details_false_returns_model_columns_only(loaded):
    lean = customer_summary(loaded.table("transactions"), details=False, calibration_end="2023-05-01")
    assert lean.columns == ("party_id", "frequency", "recency", "T", "monetary_value",
                            "frequency_holdout", "monetary_value_holdout", "duration_holdout")
    full = customer_summary(loaded.table("transactions"), calibration_end="2023-05-01")
    a = lean.to_pandas().set_index("party_id").sort_index()
    b = full.to_pandas().set_index("party_id").sort_index()[list(a.columns)]
    pd.testing.assert_frame_equal(a, b)


def test_summary_arrays_are_the_summary_columns_as_floats(loaded, engine):
    summary = customer_summary(engine(loaded).table("transactions"), details=False, calibration_end="2023-05-01")
    arrays = summary_arrays(summary, ("party_id", "frequency", "T", "monetary_value", "frequency_holdout"))
    assert list(arrays) == ["party_id", "frequency", "T", "monetary_value", "frequency_holdout"]
    assert all(a.dtype == np.float64 for a in arrays.values())
    order = np.argsort(arrays["party_id"])
    ref = summary.to_pandas().set_index("party_id").sort_index()
    assert list(arrays["party_id"][order]) == list(ref.index)
    for name in ("frequency", "T", "monetary_value", "frequency_holdout"):
        np.testing.assert_allclose(arrays[name][order], ref[name].to_numpy(float), rtol=1e-12, err_msg=name)


def test_summary_arrays_turn_nulls_into_nan():
    import ibis

    rows = ibis.memtable({"frequency": [1, None, 3], "monetary_value": [None, 2.5, 1.0]})
    arrays = summary_arrays(rows, ("frequency", "monetary_value"))
    np.testing.assert_array_equal(arrays["frequency"], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(arrays["monetary_value"], [np.nan, 2.5, 1.0])


def test_unknown_time_unit_is_refused(store):
    with pytest.raises(ValueError, match="time_unit"):
        customer_summary(store.table("transactions"), time_unit="year")


@pytest.mark.parametrize("unit,freq", [("day", "D"), ("week", "W"), ("month", "M")])
def test_period_ordinals_agree_with_pandas_periods(engine, unit, freq):
    stamps = pd.to_datetime(["1969-12-28 23:59", "1969-12-29", "1970-01-01", "1970-01-04 23:00",
                             "1970-01-05", "2000-02-29 12:00", "2024-12-30", "2025-01-05 23:59:59"], format="ISO8601")
    ours = [ordinal_of(ts, unit) for ts in stamps]
    # pandas counts periods from the one holding 1970-01-01 too (weeks: Mon-Sun).
    ref = [p.ordinal - pd.Period("1970-01-01", freq).ordinal for p in stamps.to_period(freq)]
    assert ours == ref
    for ts, ordinal in zip(stamps, ours):
        assert pd.Timestamp(period_start(ordinal, unit)) == ts.to_period(freq).start_time
    # Each engine computes the same ordinals, before 1970 too (floor division, not truncation).
    import ibis

    assert [engine.execute(period_ordinal(ibis.literal(ts.to_pydatetime()), unit)) for ts in stamps] == ours
    assert ordinal_of(dt.date(1970, 1, 1), unit) == 0


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("unit", ["day", "week"])
def test_other_logs_and_cut_dates_match_lifetimes(store, unit, seed):
    rng = np.random.default_rng(seed)
    log = _generated_log(seed=seed, customers=150)
    _load(store, log)
    purchases = log[log.kind == "order"]
    obs_end = pd.Timestamp("2023-03-01") + pd.Timedelta(seconds=int(rng.integers(0, 300 * 86400)))
    cal_end = obs_end - pd.Timedelta(seconds=int(rng.integers(30 * 86400, 200 * 86400)))
    ref = lifetimes_utils.summary_data_from_transaction_data(
        purchases, "party_id", "occurred_at", "revenue", observation_period_end=obs_end, freq=FREQ[unit]
    )
    _assert_same(_ours(store, time_unit=unit, observation_end=obs_end.to_pydatetime()), ref, MODEL)
    ref = lifetimes_utils.calibration_and_holdout_data(
        purchases, "party_id", "occurred_at", calibration_period_end=cal_end, observation_period_end=obs_end,
        freq=FREQ[unit], monetary_value_col="revenue",
    )
    ours = _ours(store, time_unit=unit, calibration_end=cal_end.to_pydatetime(),
                 observation_end=obs_end.to_pydatetime(), details=False)
    _assert_same(ours, ref, {"frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal",
                             "monetary_value": "monetary_value_cal", "frequency_holdout": "frequency_holdout",
                             "duration_holdout": "duration_holdout"})
