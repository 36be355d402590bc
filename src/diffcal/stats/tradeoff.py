"""Trade-off curves (Dong, Roth, Su 2019): the least false-negative rate a membership
test can have at each false-positive rate, under a privacy promise. An attack whose
empirical (FPR, FNR) falls below the promised curve refutes the promise; how far it
stays above shows what the promise leaves unused. Pure numpy / scipy."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from diffcal.stats.one_run_fdp import gaussian_sigma


def dp_tradeoff(alpha: np.ndarray, eps: float, delta: float) -> np.ndarray:
    """(n,) the (``eps``, ``delta``)-DP trade-off curve at FPRs ``alpha`` (n,):
    ``max(0, 1 - delta - e^eps alpha, e^-eps (1 - delta - alpha))`` (Kairouz et al.
    2015). ``eps`` infinite: 0 everywhere (nothing promised).

    >>> dp_tradeoff(np.array([0.0, 0.5, 1.0]), 0.0, 0.0).tolist()
    [1.0, 0.5, 0.0]
    """
    a = np.asarray(alpha, dtype=np.float64)
    if not np.isfinite(eps):
        return np.zeros_like(a)
    with np.errstate(over="ignore"):
        first = 1.0 - delta - np.exp(eps) * a
    return np.maximum.reduce([np.zeros_like(a), first, np.exp(-eps) * (1.0 - delta - a)])


def gdp_tradeoff(alpha: np.ndarray, mu: float) -> np.ndarray:
    """(n,) the mu-GDP trade-off curve at FPRs ``alpha`` (n,):
    ``Phi(Phi^-1(1 - alpha) - mu)``; ``mu`` 0 is the diagonal 1 - alpha.

    >>> gdp_tradeoff(np.array([0.5]), 0.0).tolist()
    [0.5]
    """
    a = np.asarray(alpha, dtype=np.float64)
    if not np.isfinite(mu):
        return np.zeros_like(a)
    return ndtr(ndtri(1.0 - a) - mu)


def gdp_mu(eps: float, delta: float) -> float:
    """The mu whose mu-GDP curve meets (``eps``, ``delta``)-DP exactly: the Gaussian
    mechanism's 1 / sigma (:func:`diffcal.stats.one_run_fdp.gaussian_sigma`); the
    Gaussian curve that the f-DP form of the one-run audit tests. Infinite for an
    infinite ``eps``.

    >>> round(gdp_mu(1.0, 1e-5), 4)  # 1 / 3.731
    0.2681
    """
    return float("inf") if not np.isfinite(eps) else 1.0 / gaussian_sigma(eps, delta)
