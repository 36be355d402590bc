"""The one-run audit in its f-DP form (Mahloujifar, Melis, Chaudhuri 2024,
"Auditing f-Differential Privacy in One Run", arXiv:2410.22235): a lower bound on
the epsilon of an (epsilon, delta) claim read as the Gaussian trade-off curve that
claim allows, which DP-SGD's Gaussian noise follows; tighter than the
(epsilon, delta) form of Steinke, Nasr, Jagielski (2023) at the same guesses
(:func:`diffcal.stats.privacy.one_run_epsilon_lower_bound`).

Written by hand (no library of ours computes it; jax_privacy's
``CanaryScoreAuditor.epsilon_one_run_fdp`` is the oracle of the benchmark
``benchmarks/one_run_bounds.py``, never a dependency). scipy.special only.
"""

from __future__ import annotations

import math

from scipy import optimize
from scipy.special import log_ndtr, ndtr, ndtri


def gaussian_delta(sigma: float, eps: float) -> float:
    """delta(eps) of the Gaussian mechanism with sensitivity 1 and noise ``sigma``
    (Balle and Wang 2018, Theorem 8):
    ``Phi(1/(2 sigma) - eps sigma) - e^eps Phi(-1/(2 sigma) - eps sigma)``.

    >>> round(gaussian_delta(1.0, 0.0), 4)  # Phi(1/2) - Phi(-1/2)
    0.3829
    """
    a, b = 0.5 / sigma - eps * sigma, -0.5 / sigma - eps * sigma
    return float(ndtr(a) - math.exp(min(eps + log_ndtr(b), 700.0)))


def gaussian_sigma(eps: float, delta: float) -> float:
    """The smallest noise ``sigma`` whose Gaussian mechanism (sensitivity 1) is
    (``eps``, ``delta``)-DP: the root of :func:`gaussian_delta` = ``delta``
    (decreasing in sigma), found on log sigma.

    >>> round(gaussian_sigma(1.0, 1e-5), 3)
    3.731
    """
    if not 0 < delta < 1 or eps < 0:
        raise ValueError(f"need eps >= 0 and 0 < delta < 1, got {eps}, {delta}")

    def gap(log_sigma: float) -> float:
        return gaussian_delta(math.exp(log_sigma), eps) - delta

    lo, hi = -12.0, 12.0
    if gap(lo) <= 0:  # even the least noise meets delta: the claim allows anything
        return math.exp(lo)
    return math.exp(optimize.brentq(gap, lo, hi, xtol=1e-12))


def _falsified(eps: float, guesses: int, correct: int, m: int, alpha: float, delta: float) -> float:
    """> 0 when ``correct`` right among ``guesses`` guesses on ``m`` canaries reject
    the Gaussian trade-off curve of (``eps``, ``delta``) at level ``alpha`` (the
    paper's recursion with a cap: the largest share of right and wrong guesses the
    curve lets a test reach, against the share observed)."""
    shift = 1.0 / gaussian_sigma(eps, delta)

    def inverse(x: float) -> float:  # the curve's inverse: Phi(Phi^-1(x) - 1/sigma)
        return float(ndtr(ndtri(min(max(x, 0.0), 1.0)) - shift))

    right, wrong = alpha * correct / m, alpha * (guesses - correct) / m
    for i in range(correct - 1, -1, -1):
        new_wrong = max(wrong, inverse(right))
        if new_wrong == wrong:
            break  # neither can change again
        right = min(right + i / (guesses - i) * (new_wrong - wrong), 1.0)
        wrong = new_wrong
    return right + wrong - guesses / m


def one_run_fdp_lower_bound(
    n_guesses: int, n_correct: int, m: int, alpha: float = 0.05, *, delta: float, floor: float = 0.0
) -> float:
    """(1 - ``alpha``) lower bound on epsilon, f-DP form, from ``n_correct`` right
    among ``n_guesses`` guesses on ``m`` canaries: the largest epsilon whose
    Gaussian (epsilon, ``delta``) trade-off curve the guesses reject; ``floor``
    when none above it is rejected (a bound already found elsewhere)."""
    r, v = int(n_guesses), int(n_correct)
    if not (1 <= r <= m and 0 <= v <= r) or not 0 < alpha < 1:
        raise ValueError(
            f"need 1 <= guesses <= m, correct <= guesses, alpha in (0, 1): {r, v, m, alpha}"
        )

    def objective(eps: float) -> float:
        return _falsified(eps, r, v, m, alpha, delta)

    if objective(floor) <= 0:
        return floor
    lo, hi = floor, max(1.0, 2.0 * floor)
    while objective(hi) > 0:
        lo, hi = hi, 2.0 * hi
        if hi > 1e3:
            return float("inf")
    return float(optimize.brentq(objective, lo, hi, xtol=1e-6))
