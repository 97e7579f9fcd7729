"""Probabilistic models of the customer base: pure NumPy/SciPy, no I/O.

Transaction models, fitted on frequency, recency and T:
:class:`BetaGeo` (BG/NBD), :class:`ParetoNBD`, :class:`ModifiedBetaGeo`
(MBG/NBD) and :class:`BetaGeoBetaBinom` (BG/BB, discrete opportunities).
With time-invariant covariates (an acquisition channel, a numeric attribute):
:class:`BetaGeoCovariates` and :class:`ParetoNBDCovariates` (:mod:`patron.models.covariates`).
Contract duration (subscriptions): :class:`ShiftedBetaGeo` (sBG).
Spend model: :class:`GammaGamma`. Value: :func:`customer_lifetime_value`.
Simulators with known ground truth live in :mod:`patron.models.simulate`.

Every model follows scikit-learn's habits: ``fit()`` returns the model,
fitted attributes end in ``_`` (``params_``, ``standard_errors_``,
``log_likelihood_``, ``convergence_``), parameters are plain floats.

Examples
--------
>>> import numpy as np
>>> from patron.models import BetaGeo, GammaGamma, customer_lifetime_value
>>> from patron.models.simulate import simulate_bgnbd, simulate_gamma_gamma
>>> rng = np.random.default_rng(0)
>>> base = simulate_bgnbd(5000, 0.25, 4.0, 0.8, 2.5, T=52.0, rng=rng)
>>> spend = simulate_gamma_gamma(base.frequency, 6.0, 4.0, 15.0, rng)
>>> model = BetaGeo().fit(base.frequency, base.recency, base.T)
>>> sorted(model.params_)
['a', 'alpha', 'b', 'r']
>>> repeat = base.frequency > 0
>>> spend_model = GammaGamma().fit(base.frequency[repeat], spend[repeat])
>>> value = customer_lifetime_value(
...     model, spend_model, base.frequency, base.recency, base.T, spend,
...     horizon=12, discount_rate=0.01, margin=0.3, time_unit_per_period=4.345)
>>> value.shape
(5000,)
"""

from patron.models.base import (
    Convergence,
    DegenerateDataError,
    InvalidInputError,
    ModelError,
    RecencyClippedWarning,
    TransactionModel,
    compress,
)
from patron.models.beta_geo import BetaGeo
from patron.models.beta_geo_beta_binom import BetaGeoBetaBinom
from patron.models.beta_geo_covariates import BetaGeoCovariates
from patron.models.clv import customer_lifetime_value
from patron.models.gamma_gamma import GammaGamma
from patron.models.modified_beta_geo import ModifiedBetaGeo
from patron.models.pareto_nbd import ParetoNBD
from patron.models.pareto_nbd_covariates import ParetoNBDCovariates
from patron.models.shifted_beta_geo import ShiftedBetaGeo

TRANSACTION_MODELS = (BetaGeo, ParetoNBD, ModifiedBetaGeo, BetaGeoBetaBinom)

__all__ = [
    "TRANSACTION_MODELS",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "BetaGeoCovariates",
    "Convergence",
    "DegenerateDataError",
    "GammaGamma",
    "InvalidInputError",
    "ModelError",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ParetoNBDCovariates",
    "RecencyClippedWarning",
    "ShiftedBetaGeo",
    "TransactionModel",
    "compress",
    "customer_lifetime_value",
]
