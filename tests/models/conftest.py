"""Data sets for the model tests: the published ones (shipped inside
lifetimes) and small simulated bases with known parameters."""

from __future__ import annotations

import numpy as np
import pytest

from patron.models.simulate import simulate_bgbb, simulate_bgnbd, simulate_gamma_gamma


def _published(loader: str, **columns: str) -> dict[str, np.ndarray]:
    """A data set shipped inside lifetimes, as float arrays named ``{ours: theirs}``."""
    datasets = pytest.importorskip("lifetimes.datasets")
    data = getattr(datasets, loader)()
    return {ours: data[theirs].to_numpy(float) for ours, theirs in columns.items()}


@pytest.fixture(scope="session")
def cdnow():
    """CDNOW 1/10th sample summary (Fader, Hardie & Lee 2005): 2,357 customers, weeks."""
    return _published("load_cdnow_summary_data_with_monetary_value", x="frequency", t_x="recency", T="T",
                      spend="monetary_value")


@pytest.fixture(scope="session")
def donations():
    """Fader, Hardie & Shang (2010) donations: 11,104 donors, 6 opportunities, compressed."""
    return _published("load_donations", x="frequency", t_x="recency", n="periods", w="weights")


@pytest.fixture(scope="session")
def generated():
    """3,000 customers from a BG/NBD with Gamma-Gamma spend; ages and recency in
    weeks with two decimals, as real summaries are."""
    rng = np.random.default_rng(20260101)
    n = 3000
    T = np.round(rng.uniform(10.0, 60.0, n), 2)
    base = simulate_bgnbd(n, 0.5, 6.0, 0.8, 2.5, T, rng)
    x = base.frequency
    t_x = np.where(x > 0, np.clip(np.round(base.recency, 2), 0.01, T), 0.0)
    spend = np.round(simulate_gamma_gamma(x, 6.0, 4.0, 15.0, rng), 2)
    return {"x": x, "t_x": t_x, "T": T, "spend": spend}


@pytest.fixture(scope="session")
def generated_periods():
    """4,000 customers from a BG/BB over 8 opportunities."""
    rng = np.random.default_rng(20260102)
    base = simulate_bgbb(4000, 1.2, 0.75, 0.66, 2.8, 8, rng)
    return {"x": base.frequency, "t_x": base.recency, "n": base.T}
