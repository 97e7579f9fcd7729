"""Probabilistic models of the customer base: pure NumPy/SciPy, no I/O.

Transaction models, fitted on frequency, recency and T:
:class:`BetaGeo` (BG/NBD), :class:`ParetoNBD`, :class:`ModifiedBetaGeo`
(MBG/NBD) and :class:`BetaGeoBetaBinom` (BG/BB, discrete opportunities).
Spend model: :class:`GammaGamma`. Value: :func:`customer_lifetime_value`.
Simulators with known ground truth live in :mod:`patron.models.simulate`.
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
from patron.models.clv import customer_lifetime_value
from patron.models.gamma_gamma import GammaGamma
from patron.models.modified_beta_geo import ModifiedBetaGeo
from patron.models.pareto_nbd import ParetoNBD

TRANSACTION_MODELS = (BetaGeo, ParetoNBD, ModifiedBetaGeo, BetaGeoBetaBinom)

__all__ = [
    "TRANSACTION_MODELS",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "Convergence",
    "DegenerateDataError",
    "GammaGamma",
    "InvalidInputError",
    "ModelError",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "RecencyClippedWarning",
    "TransactionModel",
    "compress",
    "customer_lifetime_value",
]
