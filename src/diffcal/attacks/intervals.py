"""95 % intervals of a table cell (a metric averaged over T splits).

Two intervals, both of the *mean over splits* that a table cell reports:

- :func:`t_interval`: Student-t over the T per-split values. It covers everything
  that varies between splits (which samples are members, model training), but
  with T = 5 its width rests on a standard deviation with 4 degrees of freedom.
- :func:`bootstrap_means`: the splits' models and thresholds held fixed, members
  and non-members are resampled with replacement *within* each split (each group
  keeps its size), the metric is recomputed per split and averaged over splits;
  the 2.5 / 97.5 % percentiles of those averages are the interval. It measures
  the noise of evaluating on a finite sample (39 + 39 samples per Hepatitis
  split), not training noise.

Written by hand because the metrics have to be recomputed for a thousand
resamples of up to 35,000 samples: resampling is done with integer weights, and
:func:`weighted_auc` evaluates all resamples of one split from a single sort (a
loop over scikit-learn's ``roc_auc_score(sample_weight=...)``, the oracle of the
tests, takes minutes per table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: Resamples per split (percentile interval of 1,000 replicate means).
N_BOOT = 1000


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t ``level`` interval of the mean over ``values`` (splits):
    ``mean ± t_{(1+level)/2, T-1} * sd / sqrt(T)``; NaN bounds for one value.

    >>> t_interval([0.5, 0.5, 0.5])
    (0.5, 0.5, 0.5)
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf((1 + level) / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half


def resample_weights(is_member: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicity of each sample in ``n_boot`` stratified resamples: members and
    non-members are each drawn with replacement, keeping their counts.
    ``is_member``: ``(n,)`` bool -> ``(n_boot, n)`` float64 (each row sums to n)."""
    y = np.asarray(is_member, dtype=bool)
    n = len(y)
    counts = np.zeros(n_boot * n, dtype=np.int64)
    for group in (np.flatnonzero(y), np.flatnonzero(~y)):
        if len(group) == 0:
            continue
        draws = group[rng.integers(0, len(group), size=(n_boot, len(group)))]
        flat = (draws + (np.arange(n_boot) * n)[:, None]).ravel()
        counts += np.bincount(flat, minlength=n_boot * n)
    return counts.reshape(n_boot, n).astype(np.float64)


def _group_weights(
    is_member: np.ndarray, score: np.ndarray, weights: np.ndarray, *, descending: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Member and non-member weight per distinct score value (tie group), groups in
    ascending (or ``descending``) score order, from one sort. ``(n,)``, ``(n,)``,
    ``(B, n)`` -> two ``(B, G)``."""
    y = np.asarray(is_member, dtype=bool)
    s = np.asarray(score, dtype=np.float64)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(-s if descending else s, kind="stable")
    s, y, w = s[order], y[order], w[:, order]
    change = s[1:] < s[:-1] if descending else s[1:] > s[:-1]
    starts = np.flatnonzero(np.r_[True, change])  # first index of each tie group
    pos = np.add.reduceat(np.where(y, w, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(y, 0.0, w), starts, axis=1)
    return pos, neg


def weighted_auc(is_member: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``score`` (higher = member) under each row of sample weights,
    ties counted one half (as scikit-learn's ``roc_auc_score(sample_weight=w)``).
    ``is_member``: ``(n,)`` bool; ``score``: ``(n,)``; ``weights``: ``(B, n)`` -> ``(B,)``.

    >>> weighted_auc(np.array([1, 0]), np.array([0.9, 0.1]), np.ones((1, 2)))
    array([1.])
    """
    pos, neg = _group_weights(is_member, score, weights, descending=False)
    neg_below = np.cumsum(neg, axis=1) - neg
    num = (pos * (neg_below + 0.5 * neg)).sum(axis=1)
    return num / (pos.sum(axis=1) * neg.sum(axis=1))


def weighted_accuracy(is_member: np.ndarray, score: np.ndarray, tau: float,
                      weights: np.ndarray) -> np.ndarray:  # fmt: skip
    """Accuracy of "member iff ``score > tau``" under each row of sample weights.
    ``(n,)``, ``(n,)``, scalar, ``(B, n)`` -> ``(B,)``."""
    correct = (np.asarray(score, dtype=np.float64) > tau) == np.asarray(is_member, dtype=bool)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    return (w @ correct.astype(np.float64)) / w.sum(axis=1)


def bootstrap_means(
    splits: Sequence[tuple[np.ndarray, dict[str, Callable[[np.ndarray], np.ndarray]]]],
    *,
    seeds: Sequence[int],
    n_boot: int = N_BOOT,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile ``level`` interval of the mean over splits, resampling within splits.

    ``splits``: per split, ``(is_member (n,) bool, {cell: weights (B, n) -> values
    (B,)})``; every split must name the same cells. ``seeds``: one per split. The
    same resamples of a split serve all its cells. Returns cell -> (low, high).
    """
    if len(seeds) != len(splits):
        raise ValueError(f"{len(splits)} splits but {len(seeds)} seeds")
    totals: dict[str, np.ndarray] = {}
    for (is_member, cells), seed in zip(splits, seeds, strict=True):
        w = resample_weights(is_member, n_boot, np.random.default_rng(seed))
        for name, fn in cells.items():
            totals[name] = totals.get(name, 0.0) + fn(w)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    out = {}
    for name, total in totals.items():
        low, high = np.percentile(total / len(splits), q)
        out[name] = (float(low), float(high))
    return out


def weighted_tpr_at_fpr(
    is_member: np.ndarray, score: np.ndarray, fpr: float, weights: np.ndarray
) -> np.ndarray:
    """:func:`diffcal.attacks.metrics.tpr_at_fpr` under each row of sample weights:
    the largest weighted TPR over thresholds ("member iff ``score >= t``", ``t`` a
    score value) whose weighted FPR is <= ``fpr``. ``(n,)``, ``(n,)``, scalar,
    ``(B, n)`` -> ``(B,)``.

    >>> weighted_tpr_at_fpr(np.array([1, 1, 0, 0]), np.array([0.9, 0.3, 0.5, 0.1]),
    ...                     0.0, np.ones((1, 4)))
    array([0.5])
    """
    pos, neg = _group_weights(is_member, score, weights, descending=True)
    tp, fp = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    tpr = tp / tp[:, -1:]
    ok = fp / fp[:, -1:] <= fpr + 1e-12
    # The threshold above every score (no sample flagged) always qualifies: TPR 0.
    return np.where(ok, tpr, 0.0).max(axis=1)
