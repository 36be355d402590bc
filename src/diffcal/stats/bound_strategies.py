"""Which thresholds an epsilon lower bound tries, and how it pays for trying them.

:func:`diffcal.stats.privacy.epsilon_lower_bound` bounds epsilon at thresholds
fixed in advance, with a Bonferroni factor for their number. Where the thresholds
come from decides the bound's power. Three strategies and one that picks
between two of them (config key ``privacy_bound.strategy``; :func:`epsilon_bound`
dispatches):

- ``auto``: ``split`` where the caller has disjoint selection samples (Figure 6:
  the shadow's; they cost the count nothing), ``bonferroni`` elsewhere. On Figure
  6's Adult (T = 5) and MNIST scores ``split`` (k = 1) gives the higher bound on all
  6 undefended cells, ``bonferroni`` on 4 of the 7 DP-target cells where either is
  above 0 (docs/auditing/bounds_old_new.md): not the default, since Figure 6's bounds
  are there to audit the DP targets.
- ``bonferroni`` (the default): every threshold at a vertex of the empirical ROC's
  convex hull (both sides of the diagonal: :func:`frontier_thresholds`), counted on
  all the samples, with the Bonferroni factor the number of those vertices. No
  sample is spent on choosing, and a threshold off the hull is dominated by a mix of
  two on it. This is jax_privacy's ``Bonferroni()`` (``CanaryScoreAuditor``: its
  candidate list is the hull's vertices too). The hull is read off the same samples
  the rates are counted on, so the factor is the hull's size, not a number fixed in
  advance; ``tests/unit/stats/test_bound_strategies.py`` checks the coverage by simulation.
- ``split``: the ``k`` thresholds with the largest *bound* (not point estimate) on a
  selection set fix the thresholds; the rates are counted on the other samples with
  the Bonferroni factor ``k``. The selection set is a disjoint one the caller has
  (the shadow's samples in Figure 6), or a seeded random ``fraction`` of each class.
- ``multi_split``: ``splits`` seeded random splits, each bounded at ``alpha / 2``;
  the reported bound is their lower median. A bound ``e`` exceeded by at least half
  of the splits is rejected at level ``alpha`` (Meinshausen, Meier, Buehlmann 2009,
  Theorem 3.1 with gamma = 1/2: twice the median p-value is a p-value).

Written here rather than imported: jax_privacy would bring JAX into the core
install; it is the oracle of ``benchmarks/epsilon_bounds.py`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from diffcal.stats import privacy
from diffcal.stats.one_run_fdp import one_run_fdp_lower_bound

#: The strategies :func:`epsilon_bound` knows (the schema's enum is this list).
STRATEGIES = ("auto", "bonferroni", "split", "multi_split")


@dataclass(frozen=True)
class BoundStrategy:
    """How :func:`epsilon_bound` picks its thresholds (``privacy_bound`` config)."""

    #: one of :data:`STRATEGIES`; ``auto``: ``split`` where disjoint selection samples
    #: are given (they cost the count nothing), else ``bonferroni``
    strategy: str = "bonferroni"
    alpha: float = 0.05  #: 1 - confidence of the bound
    k: int = 1  #: split strategies: thresholds kept from the selection samples
    splits: int = 100  #: multi_split: random splits whose bounds are aggregated
    fraction: float = 0.5  #: random splits: share of each class that selects

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"privacy_bound.strategy: {self.strategy!r} is not one of {list(STRATEGIES)}"
            )
        if not 0.0 < self.fraction < 1.0:
            raise ValueError(f"privacy_bound.fraction must lie in (0, 1), got {self.fraction}")
        if self.k < 1 or self.splits < 1:
            raise ValueError(
                f"privacy_bound.k and .splits must be >= 1, got {self.k}, {self.splits}"
            )


def _hull(x: np.ndarray, y: np.ndarray, upper: bool) -> np.ndarray:
    """Indices of the strict vertices of the upper (``upper``) or lower convex hull of
    the points (x[i], y[i]), sorted by x and then y; collinear points are not
    vertices. Each pass drops every point that does not turn the right way between
    its two neighbours (such a point lies on or beyond a segment of the set, so it is
    no vertex) until none is left: a few vectorised passes on an ROC curve, where
    Andrew's monotone chain would be a Python loop over every point (7 s at a
    million samples). Written out: numpy and scipy have no hull of a sorted chain
    (``scipy.spatial.ConvexHull`` is Qhull, for 2-d clouds in general position)."""
    idx = np.arange(len(x))
    sign = 1.0 if upper else -1.0
    while len(idx) > 2:
        dx, dy = np.diff(x[idx]), np.diff(y[idx])
        drop = sign * (dx[:-1] * dy[1:] - dy[:-1] * dx[1:]) >= 0
        if not drop.any():
            break
        idx = idx[np.concatenate([[True], ~drop, [True]])]
    return idx


def frontier_thresholds(
    scores: np.ndarray, is_member: np.ndarray, *, reverse: bool = True
) -> np.ndarray:
    """The thresholds (predict member for ``score >= t``) at the vertices of the
    empirical ROC's upper and lower convex hulls, increasing; ``scores`` (n,) float,
    ``is_member`` (n,) bool. The upper hull holds the best thresholds of the attack
    as signed, the lower hull those of its reverse (the two-sided bound uses both;
    ``reverse=False``: the upper hull's only). The ROC's end at (0, 0) (no
    threshold) is a hull point, not a threshold.

    >>> frontier_thresholds(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool))
    array([0.1 , 0.35, 0.8 ])
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    thr = np.unique(s)[::-1]  # decreasing: the ROC from (0, 0) on
    fp, fn, n_in, _ = privacy.error_counts(s, y, thr, "find the ROC's hull")
    x = np.concatenate([[0], fp]).astype(np.float64)
    z = np.concatenate([[0], n_in - fn]).astype(np.float64)
    keep = _hull(x, z, upper=True)
    if reverse:
        keep = np.union1d(keep, _hull(x, z, upper=False))
    return np.sort(thr[keep[keep > 0] - 1])


def bonferroni_bound(
    scores: np.ndarray, is_member: np.ndarray, *, delta: float, alpha: float = 0.05
) -> privacy.EpsilonBound:
    """The ``bonferroni`` strategy: :func:`diffcal.stats.privacy.epsilon_lower_bound`
    at every :func:`frontier_thresholds` threshold of the (n,) ``scores`` /
    ``is_member``, counted on all n samples, Bonferroni factor the number of them."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    if not np.isfinite(s).all():
        raise ValueError("scores hold NaN or infinite values")
    thr = frontier_thresholds(s, y)
    return replace(
        privacy.epsilon_lower_bound(s, y, thr, delta=delta, alpha=alpha), strategy="bonferroni"
    )


def one_run_bonferroni(
    scores: np.ndarray,
    is_in: np.ndarray,
    *,
    alpha: float = 0.05,
    delta: float = 0.0,
    fdp: bool = False,
) -> tuple[float, float, int, int, int]:
    """The one-run audit's bound (Steinke, Nasr, Jagielski 2023) with its guesses
    chosen by threshold: guess IN for every canary scoring at least ``t``, for each
    ``t`` at a vertex of the ROC's upper hull, alpha divided by their number, the
    largest bound kept. ``scores`` (m,) of all ``m`` canaries, ``is_in`` (m,) bool.
    ``fdp``: the f-DP form (:mod:`diffcal.stats.one_run_fdp`; needs ``delta`` > 0).

    Returns:
        (epsilon, threshold, guesses, correct guesses, thresholds tried).

    >>> y = np.repeat([True, False], 2500)
    >>> s = y * 2.0 + np.random.default_rng(0).normal(size=5000)
    >>> round(one_run_bonferroni(s, y)[0], 2), round(one_run_bonferroni(s, y, delta=1e-5)[0], 2)
    (3.75, 2.31)
    """
    if fdp and not delta > 0:
        raise ValueError("the f-DP form needs delta > 0")
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_in, dtype=bool)
    if not np.isfinite(s).all():
        raise ValueError("scores hold NaN or infinite values")
    thr = frontier_thresholds(s, y, reverse=False)
    order = np.sort(s)
    in_sorted = np.sort(s[y])
    guesses = len(s) - np.searchsorted(order, thr, side="left")
    correct = len(in_sorted) - np.searchsorted(in_sorted, thr, side="left")
    share = alpha / max(len(thr), 1)
    best = (0.0, float("inf"), 0, 0)
    # Precision first: a threshold whose raw precision is at most the best bound's
    # logistic(epsilon) cannot beat it (its p-value there is about 1/2 or more).
    for i in np.argsort(-(correct / np.maximum(guesses, 1)), kind="stable"):
        r, v = int(guesses[i]), int(correct[i])
        if r == 0 or v / r <= 1.0 / (1.0 + np.exp(-best[0])):
            continue
        if fdp:
            eps = one_run_fdp_lower_bound(r, v, len(s), share, delta=delta, floor=best[0])
        else:
            eps = privacy.one_run_epsilon_lower_bound(r, v, share, delta=delta, m=len(s))
        if eps > best[0]:
            best = (eps, float(thr[i]), r, v)
    return (*best, len(thr))


def split_bound(
    select_scores: np.ndarray,
    select_member: np.ndarray,
    eval_scores: np.ndarray,
    eval_member: np.ndarray,
    *,
    delta: float,
    alpha: float = 0.05,
    k: int = 1,
) -> privacy.EpsilonBound:
    """The ``split`` strategy on a given selection set ((n_s,) arrays): its ``k``
    thresholds with the largest one-threshold bound at ``alpha``
    (:func:`diffcal.stats.privacy.select_thresholds`), bounded on the evaluation
    set ((n_e,) arrays) with the Bonferroni factor ``k``. The candidates are the
    selection set's :func:`frontier_thresholds` (any choice made on the selection set
    keeps the bound valid; these are where the best bounds lie, and few)."""
    cand = frontier_thresholds(select_scores, select_member)
    thr = privacy.select_thresholds(
        select_scores, select_member, delta=delta, k=k, alpha=alpha, candidates=cand
    )
    out = privacy.epsilon_lower_bound(eval_scores, eval_member, thr, delta=delta, alpha=alpha)
    return replace(out, strategy="split")


def random_selection(is_member: np.ndarray, fraction: float, rng: np.random.Generator):
    """(n,) bool: a random ``fraction`` of the members and of the non-members of the
    (n,) ``is_member`` (rounded down per class), drawn from ``rng``."""
    y = np.asarray(is_member, dtype=bool)
    sel = np.zeros(len(y), dtype=bool)
    for cls in (np.flatnonzero(y), np.flatnonzero(~y)):
        sel[cls[rng.permutation(len(cls))[: int(len(cls) * fraction)]]] = True
    return sel


def _random_split_bound(s, y, *, delta, alpha, k, fraction, rng) -> privacy.EpsilonBound:
    sel = random_selection(y, fraction, rng)
    return split_bound(s[sel], y[sel], s[~sel], y[~sel], delta=delta, alpha=alpha, k=k)


def multi_split_bound(
    scores: np.ndarray,
    is_member: np.ndarray,
    *,
    delta: float,
    alpha: float = 0.05,
    k: int = 1,
    splits: int = 100,
    fraction: float = 0.5,
    seed: int = 0,
) -> privacy.EpsilonBound:
    """The ``multi_split`` strategy: ``splits`` random splits of the (n,) ``scores`` /
    ``is_member`` (a ``fraction`` of each class selects, from ``seed``), each
    :func:`split_bound` at ``alpha / 2``; returns the lower median of those bounds
    (the split that gives it, with ``n_thresholds`` its k)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    rng = np.random.default_rng(seed)
    bounds = [
        _random_split_bound(s, y, delta=delta, alpha=alpha / 2, k=k, fraction=fraction, rng=rng)
        for _ in range(splits)
    ]
    order = np.argsort([b.epsilon for b in bounds], kind="stable")
    return replace(bounds[order[(splits - 1) // 2]], alpha=alpha, strategy="multi_split")


def epsilon_bound(
    scores: np.ndarray,
    is_member: np.ndarray,
    *,
    delta: float,
    strategy: BoundStrategy = BoundStrategy(),
    selection: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
) -> privacy.EpsilonBound:
    """The (1 - alpha) lower bound on epsilon at ``delta`` from an attack's (n,)
    ``scores`` on samples with membership ``is_member`` (n,), by ``strategy``.

    ``selection``: (scores, is_member) of disjoint samples to choose the ``split``
    strategy's thresholds on (otherwise a seeded random fraction of the samples);
    ``auto`` is ``split`` with them, ``bonferroni`` without;
    ``seed``: the random splits' seed (``split`` without a selection set,
    ``multi_split``). ``bonferroni`` uses neither.

    >>> y = np.repeat([True, False], 3000)
    >>> s = y + np.random.default_rng(0).normal(size=6000)  # 1-GDP: epsilon 4.38
    >>> round(epsilon_bound(s, y, delta=1e-5).epsilon, 2)
    1.54
    """
    st = strategy
    if st.strategy == "auto":  # the more powerful of the two where each applies
        st = replace(st, strategy="split" if selection is not None else "bonferroni")
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    if st.strategy == "bonferroni":
        return bonferroni_bound(s, y, delta=delta, alpha=st.alpha)
    if st.strategy == "split":
        if selection is not None:
            return split_bound(*selection, s, y, delta=delta, alpha=st.alpha, k=st.k)
        rng = np.random.default_rng(seed)
        return _random_split_bound(
            s, y, delta=delta, alpha=st.alpha, k=st.k, fraction=st.fraction, rng=rng
        )
    return multi_split_bound(
        s, y, delta=delta, alpha=st.alpha, k=st.k, splits=st.splits, fraction=st.fraction, seed=seed
    )
