"""Empirical privacy: lower bounds on epsilon from a membership attack's errors.

An (epsilon, delta)-DP training algorithm bounds every membership test: for any
threshold, ``FPR + e^eps FNR >= 1 - delta`` and ``FNR + e^eps FPR >= 1 - delta``
(Kairouz et al., 2015). A test whose false-positive and false-negative rates are
known to lie below ``FPR_high`` and ``FNR_high`` therefore shows

    eps >= log((1 - delta - FNR_high) / FPR_high)   (and the symmetric form),

the bound of Jagielski et al. (2020) and Nasr et al. (2021) that TensorFlow Privacy,
PrivacyGuard and jax_privacy compute. The rates are one-sided Clopper-Pearson upper
bounds, so the epsilon bound holds with the stated confidence, *provided the
thresholds were chosen without looking at the samples the rates are counted on*:
:func:`epsilon_lower_bound` takes thresholds chosen elsewhere (on the
threshold-selection set: :func:`select_thresholds`) and refuses sample ids shared by
the two sets; with several thresholds a Bonferroni correction keeps the joint
confidence.

Written here rather than taken from a library: none of the packages we depend on
(scipy, scikit-learn, opacus) ships these bounds, and the auditing libraries that do
(TensorFlow Privacy, PrivacyGuard, jax_privacy) would bring TensorFlow / JAX.

Scores follow the package convention: higher means "more likely a member"; a
threshold ``t`` predicts member for ``score >= t``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


def _check_level(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie in (0, 1), got {value!r}")


def _checked_counts(k: int | np.ndarray, n: int, alpha: float) -> np.ndarray:
    """``k`` as floats, after checking ``alpha`` and 0 <= k <= n, n >= 1."""
    _check_level("alpha", alpha)
    k = np.asarray(k, dtype=np.float64)
    if n < 1 or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k in [{k.min()}, {k.max()}], n={n}")
    return k


def error_counts(
    scores: np.ndarray, is_member: np.ndarray, thresholds: np.ndarray, what: str
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(m,) false positives (non-members scoring >= t) and false negatives (members
    below t) at each of the (m,) ``thresholds``, and the numbers of members and
    non-members; one sort per group instead of a loop over thresholds. Members and
    non-members must both be present (``what``: the task, for the error)."""
    n_in, n_out = int(is_member.sum()), int((~is_member).sum())
    if n_in < 1 or n_out < 1:
        raise ValueError(f"need members and non-members to {what}, got {n_in} / {n_out}")
    fp = n_out - np.searchsorted(np.sort(scores[~is_member]), thresholds, side="left")
    fn = np.searchsorted(np.sort(scores[is_member]), thresholds, side="left")
    return fp, fn, n_in, n_out


def clopper_pearson_upper(k: int | np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 - ``alpha``) Clopper-Pearson upper bound on a binomial rate from
    ``k`` successes in ``n`` trials: the ``1 - alpha`` quantile of Beta(k + 1, n - k)
    (1 where k = n). ``k``: scalar or (m,) array; returns the same shape."""
    k = _checked_counts(k, n, alpha)
    with np.errstate(invalid="ignore"):
        out = stats.beta.ppf(1.0 - alpha, k + 1.0, n - k)
    return np.where(k >= n, 1.0, out)


def clopper_pearson_lower(k: int | np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 - ``alpha``) Clopper-Pearson lower bound: the ``alpha`` quantile
    of Beta(k, n - k + 1) (0 where k = 0)."""
    k = _checked_counts(k, n, alpha)
    with np.errstate(invalid="ignore"):
        out = stats.beta.ppf(alpha, k, n - k + 1.0)
    return np.where(k <= 0, 0.0, out)


def epsilon_from_rates(fpr: np.ndarray, fnr: np.ndarray, delta: float) -> np.ndarray:
    """The largest epsilon that (FPR, FNR) rule out at ``delta``, per threshold:
    ``max(log((1 - delta - fnr) / fpr), log((1 - delta - fpr) / fnr), 0)``; (m,)
    arrays in, (m,) out. Rates of 0 give infinity where the numerator is positive."""
    _check_level("delta", delta)
    fpr, fnr = np.asarray(fpr, dtype=np.float64), np.asarray(fnr, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log(np.clip(1.0 - delta - fnr, 0.0, None) / fpr)
        b = np.log(np.clip(1.0 - delta - fpr, 0.0, None) / fnr)
    out = np.fmax(np.nan_to_num(a, nan=-np.inf), np.nan_to_num(b, nan=-np.inf))
    return np.maximum(out, 0.0)


@dataclass(frozen=True)
class EpsilonBound:
    """A (1 - alpha) lower bound on epsilon and what it rests on."""

    epsilon: float  #: the bound (0: the test shows nothing)
    threshold: float  #: the threshold that gives it
    fpr_high: float  #: upper bound on the FPR at that threshold
    fnr_high: float  #: upper bound on the FNR at that threshold
    n_members: int
    n_nonmembers: int
    n_thresholds: int  #: thresholds tried (the Bonferroni factor)
    alpha: float
    delta: float
    #: how the thresholds were chosen (:mod:`diffcal.stats.bound_strategies`)
    strategy: str = "given"


def epsilon_lower_bound(
    scores: np.ndarray,
    is_member: np.ndarray,
    thresholds: Sequence[float] | np.ndarray,
    *,
    delta: float,
    alpha: float = 0.05,
    ids: np.ndarray | None = None,
    selection_ids: np.ndarray | None = None,
) -> EpsilonBound:
    """(1 - ``alpha``) lower bound on epsilon from an attack's ``scores`` (n,) on an
    evaluation set with membership ``is_member`` (n,) bool, at ``thresholds`` (m,)
    fixed beforehand (on other samples: :func:`select_thresholds`).

    Each threshold's FPR and FNR get one-sided Clopper-Pearson upper bounds at level
    ``alpha / (2 m)`` (Bonferroni over the m thresholds and the two rates), so that
    the maximum over thresholds of :func:`epsilon_from_rates` is a valid bound.
    ``ids`` / ``selection_ids``: the sample ids of the evaluation set and of the set
    the thresholds were chosen on; a shared id is an error (thresholds picked on the
    evaluation samples make the bound optimistic)."""
    _check_level("delta", delta)
    _check_level("alpha", alpha)
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    t = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError(f"scores {s.shape} and is_member {y.shape} must be equal 1-d shapes")
    if not np.isfinite(s).all():
        raise ValueError("scores hold NaN or infinite values")
    if len(t) == 0 or not np.isfinite(t).all():
        raise ValueError("need at least one finite threshold")
    if ids is not None and selection_ids is not None:
        shared = np.intersect1d(np.asarray(ids), np.asarray(selection_ids))
        if len(shared):
            raise ValueError(
                f"the thresholds were chosen on {len(shared)} samples of the evaluation "
                f"set (e.g. id {shared[0]}): choose them on disjoint samples"
            )
    fp, fn, n_in, n_out = error_counts(s, y, t, "bound both error rates")
    level = alpha / (2 * len(t))
    fpr_hi = clopper_pearson_upper(fp, n_out, level)
    fnr_hi = clopper_pearson_upper(fn, n_in, level)
    eps = epsilon_from_rates(fpr_hi, fnr_hi, delta)
    best = int(np.argmax(eps))
    return EpsilonBound(
        epsilon=float(eps[best]),
        threshold=float(t[best]),
        fpr_high=float(fpr_hi[best]),
        fnr_high=float(fnr_hi[best]),
        n_members=n_in,
        n_nonmembers=n_out,
        n_thresholds=len(t),
        alpha=alpha,
        delta=delta,
    )


def select_thresholds(
    scores: np.ndarray,
    is_member: np.ndarray,
    *,
    delta: float,
    k: int = 1,
    alpha: float = 0.05,
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """The ``k`` thresholds with the largest one-threshold (1 - ``alpha``) lower bound
    on epsilon (Clopper-Pearson at ``alpha / 2`` per rate, no Bonferroni factor) on a
    threshold-selection set (``scores`` (n,), ``is_member`` (n,)); returns (k,)
    thresholds, best first, ties to the lower threshold. ``candidates`` (c,): the
    thresholds to rank (default: every distinct score). Ranking by the bound rather
    than the point estimate keeps away from extreme thresholds that rest on a handful
    of samples. Use them on a *different* set with :func:`epsilon_lower_bound`."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    cand = np.unique(s) if candidates is None else np.unique(np.asarray(candidates, float))
    fp, fn, n_in, n_out = error_counts(s, y, cand, "choose thresholds")
    fpr_hi = clopper_pearson_upper(fp, n_out, alpha / 2)
    fnr_hi = clopper_pearson_upper(fn, n_in, alpha / 2)
    eps = epsilon_from_rates(fpr_hi, fnr_hi, delta)
    order = np.argsort(-eps, kind="stable")[:k]
    return cand[order]


def gdp_mu_lower_bound(fpr_high: float, fnr_high: float) -> float:
    """The smallest mu of a mu-GDP mechanism whose trade-off curve passes below
    (FPR_high, FNR_high): ``Phi^-1(1 - fpr) - Phi^-1(fnr)`` (Dong, Roth, Su 2019),
    at least 0. A mechanism that is mu'-GDP with mu' < this is ruled out."""
    if not (0.0 <= fpr_high <= 1.0 and 0.0 <= fnr_high <= 1.0):
        raise ValueError(f"rates must lie in [0, 1], got {fpr_high}, {fnr_high}")
    mu = stats.norm.ppf(1.0 - fpr_high) - stats.norm.ppf(fnr_high)
    return float(max(mu, 0.0)) if np.isfinite(mu) else float("inf")


def gdp_epsilon(mu: float, delta: float) -> float:
    """The epsilon of a mu-GDP mechanism at ``delta`` (Dong, Roth, Su 2019, Cor. 2.13):
    the root of ``Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2) = delta``; 0 when
    mu-GDP already meets ``delta`` at epsilon 0."""
    _check_level("delta", delta)
    if mu <= 0:
        return 0.0
    if not np.isfinite(mu):
        return float("inf")

    def gap(eps: float) -> float:
        above = stats.norm.cdf(-eps / mu + mu / 2)
        return above - np.exp(eps) * stats.norm.cdf(-eps / mu - mu / 2) - delta

    if gap(0.0) <= 0:
        return 0.0
    hi = 1.0
    while gap(hi) > 0:
        hi *= 2.0
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-10))


#: Above this RDP epsilon the PRV accountant is not asked: at epsilon ~1000 its
#: domain overflows (opacus 1.6 returns infinity after ~4 minutes).
PRV_MAX_EPSILON = 200.0


@functools.lru_cache(maxsize=64)
def prv_epsilon(
    noise_multiplier: float,
    sample_rate: float,
    steps: int,
    delta: float,
    rdp_epsilon: float | None = None,
) -> float:
    """Epsilon of DP-SGD (Poisson ``sample_rate``, ``steps`` steps, Gaussian noise of
    ``noise_multiplier``) at ``delta`` by Opacus' PRV accountant (Gopi et al., 2021),
    tighter than the RDP bound we train with. NaN where ``rdp_epsilon`` exceeds
    :data:`PRV_MAX_EPSILON` (not computed) or the accountant fails. Cached: the
    targets of one DP variant usually share noise, sampling rate and steps, and one
    accountant run takes 0.4-6 s."""
    _check_level("delta", delta)
    if rdp_epsilon is not None and rdp_epsilon > PRV_MAX_EPSILON:
        return float("nan")
    import warnings

    from opacus.accountants import PRVAccountant

    acc = PRVAccountant()
    acc.history = [(float(noise_multiplier), float(sample_rate), int(steps))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eps = float(acc.get_epsilon(delta))
    except (ValueError, RuntimeError, OverflowError):
        return float("nan")
    return eps if np.isfinite(eps) else float("nan")


def one_run_guesses(
    scores: np.ndarray, included: np.ndarray, k_pos: int, k_neg: int
) -> tuple[int, int]:
    """Guesses of the one-run audit (Steinke, Nasr, Jagielski, 2023) on m canaries:
    "in" for the ``k_pos`` highest ``scores`` (m,), "out" for the ``k_neg`` lowest,
    abstain on the rest; ``included`` (m,) bool says which canaries the training run
    saw (a seeded fair coin each). Returns (guesses made, correct guesses)."""
    s = np.asarray(scores, dtype=np.float64)
    inc = np.asarray(included, dtype=bool)
    if s.shape != inc.shape or s.ndim != 1:
        raise ValueError(f"scores {s.shape} and included {inc.shape} must be equal 1-d shapes")
    if k_pos < 0 or k_neg < 0 or k_pos + k_neg > len(s):
        raise ValueError(f"need 0 <= k_pos + k_neg <= m = {len(s)}, got {k_pos} + {k_neg}")
    order = np.argsort(s, kind="stable")
    correct = int(inc[order[len(s) - k_pos :]].sum()) if k_pos else 0
    correct += int((~inc[order[:k_neg]]).sum())
    return k_pos + k_neg, correct


def one_run_p_value(
    n_guesses: int, n_correct: int, eps: float, delta: float = 0.0, m: int | None = None
) -> float:
    """The one-run audit's p-value of the claim "(``eps``, ``delta``)-DP" when
    ``n_correct`` of ``n_guesses`` guesses on ``m`` canaries are right (Steinke, Nasr,
    Jagielski 2023, Theorems 2 and 3). With ``f(v) = P[Binomial(r, q) >= v]``,
    ``q = e^eps / (1 + e^eps)``, it is ``f(v)`` under pure DP and
    ``f(v) + 2 m delta max_{1 <= i <= v} (f(v - i) - f(v)) / i`` under approximate DP
    (at most 1). ``m``: required when ``delta > 0``."""
    r, v = int(n_guesses), int(n_correct)
    q = 1.0 / (1.0 + np.exp(-eps))
    beta = float(stats.binom.sf(v - 1, r, q))
    if delta == 0.0 or v == 0:
        return beta
    if m is None or m < r:
        raise ValueError(f"the delta > 0 form needs m >= guesses canaries, got m={m}, r={r}")
    i = np.arange(1, v + 1)
    steps = (stats.binom.sf(v - i - 1, r, q) - beta) / i
    return float(min(beta + 2.0 * m * delta * max(float(steps.max()), 0.0), 1.0))


def one_run_epsilon_lower_bound(
    n_guesses: int,
    n_correct: int,
    alpha: float = 0.05,
    *,
    delta: float = 0.0,
    m: int | None = None,
) -> float:
    """(1 - ``alpha``) lower bound on epsilon from a one-run audit with ``n_guesses``
    guesses of which ``n_correct`` are right: the largest epsilon whose
    (epsilon, ``delta``)-DP claim :func:`one_run_p_value` rejects at ``alpha`` (0 when
    even epsilon 0 is not rejected). ``delta = 0`` (default): pure DP, under which
    the correct guesses are dominated by Binomial(r, e^eps / (1 + e^eps)) (their
    Theorem 2); ``delta > 0`` with ``m`` canaries: their Theorem 3, the form DP-SGD's
    (epsilon, delta) promise is checked against (lower than the pure bound)."""
    _check_level("alpha", alpha)
    if delta:
        _check_level("delta", delta)
    r, v = int(n_guesses), int(n_correct)
    if r < 1 or not 0 <= v <= r:
        raise ValueError(f"need 1 <= guesses and 0 <= correct <= guesses, got {r}, {v}")

    def excess(eps: float) -> float:  # > 0 while the claim is not rejected
        return one_run_p_value(r, v, eps, delta, m) - alpha

    if excess(0.0) >= 0:
        return 0.0
    hi = 1.0
    while excess(hi) < 0:
        hi *= 2.0
        if hi > 1e4:
            return float("inf")
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-10))
