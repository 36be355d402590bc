"""Bootstrap replicates of an audit's metrics for splits too large for the
resample counts of :mod:`diffcal.stats.intervals`, whose ``(n, B)`` counts (and the
``(B, n)`` weights of a TPR cell) take 12 GB at 200,000 samples.

Each cell still gets ``B`` replicate values, averaged over splits and turned into a
percentile interval as the exact path does (:func:`diffcal.stats.bootstrap.percentile_intervals`),
and a pair's difference still comes from the same replicates of both attacks:

- **AUC**: DeLong's placements (each member's share of non-members scored below it,
  ties half; each non-member's share of members above it) give the covariance of
  the attacks' AUCs; the replicates are draws from the normal with that covariance
  around the AUCs. The bootstrap distribution of an AUC is that normal to first
  order, and at these sizes the higher orders are far below the third decimal.
- **TPR at FPR**: a Poisson bootstrap (each sample drawn Poisson(1) times) of the
  only samples that can decide it: per attack, every sample scored at or above its
  ``K``-th highest non-member, ``K`` = 1.5 x the largest FPR level x non-members +
  50, so that a resample's threshold falls inside them (a resample would need
  fewer than two thirds of those ``K`` non-members' expected draws otherwise). The
  groups keep their sizes as the exact resamples do (rates divided by the number
  of members / non-members). One draw per sample serves every attack.

Written by hand: no library computes DeLong's covariance or a tail bootstrap; the
tests compare both with the exact resamples on 200,000 samples
(``tests/workflow/test_audit_scale.py``) and DeLong's variance with a per-sample
loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: A split with more samples than this takes the replicates of this module. The
#: exact resamples cost about n x 60 KB and n x 1.6 ms per split (20,000 samples:
#: 22 s and 1.4 GB for 9 attacks; 100,000: 160 s and 6.3 GB; benchmarks/audit_scale.py);
#: every split of the repository's configs is below it (Adult: 24,421 a split).
LARGE_N = 50_000
#: Resamples drawn at once in the TPR bootstrap (memory: this x the tail samples).
BLOCK = 50


def _midranks(s: np.ndarray) -> np.ndarray:
    """1-based ranks of ``s`` (n,), ties given their mean rank."""
    order = np.argsort(s, kind="stable")
    sorted_s = s[order]
    starts = np.r_[True, sorted_s[1:] != sorted_s[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    ends = np.r_[first[1:], len(s)]
    mid = (first + 1 + ends) / 2.0  # mean of ranks first+1 .. end
    ranks = np.empty(len(s))
    ranks[order] = mid[group]
    return ranks


def placements(is_member: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's placements: ``(n1,)`` each member's share of non-members scored
    below it (ties half), ``(n0,)`` each non-member's share of members scored above
    it (ties half). Their means are both the AUC.

    >>> v10, v01 = placements(np.array([1, 1, 0, 0], bool), np.array([0.9, 0.3, 0.5, 0.1]))
    >>> v10.tolist(), v01.tolist()
    ([1.0, 0.5], [0.5, 1.0])
    """
    y = np.asarray(is_member, dtype=bool)
    s = np.asarray(score, dtype=np.float64)
    n1, n0 = int(y.sum()), int((~y).sum())
    r = _midranks(s)
    v10 = (r[y] - _midranks(s[y])) / n0
    v01 = 1.0 - (r[~y] - _midranks(s[~y])) / n1
    return v10, v01


def auc_replicates(
    is_member: np.ndarray, scores: Mapping[str, np.ndarray], n_boot: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``{attack: (B,)}``: normal draws around each attack's AUC with DeLong's
    covariance between the attacks (``scores``: attack -> ``(n,)``)."""
    names = list(scores)
    v10, v01 = zip(*(placements(is_member, scores[a]) for a in names), strict=True)
    v10, v01 = np.array(v10), np.array(v01)  # (A, n1), (A, n0)
    auc = v10.mean(axis=1)
    cov = np.atleast_2d(np.cov(v10) / v10.shape[1] + np.cov(v01) / v01.shape[1])
    draws = rng.multivariate_normal(auc, cov, size=n_boot, method="eigh")  # (B, A)
    return {a: draws[:, i] for i, a in enumerate(names)}


def accuracy_replicates(
    is_member: np.ndarray,
    correct: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """(B,) the accuracy (share of ``correct`` among the samples in ``mask``, all
    ``(n,)`` bool) in ``n_boot`` stratified resamples, drawn without a resamples x
    samples matrix: in a resample of a group of ``k`` samples, how many draws land
    on its masked correct, masked wrong and unmasked samples is Multinomial(``k``,
    their shares), exactly the distribution the resample counts of
    :class:`diffcal.stats.intervals.Resamples` give."""
    y = np.asarray(is_member, dtype=bool)
    ok = np.asarray(correct, dtype=bool)
    m = np.ones_like(y) if mask is None else np.asarray(mask, dtype=bool)
    hits = np.zeros(n_boot)
    total = np.zeros(n_boot)
    for group in (y, ~y):
        k = int(group.sum())
        if not k:
            continue
        counts = np.array([(group & m & ok).sum(), (group & m & ~ok).sum(), (group & ~m).sum()])
        draws = rng.multinomial(k, counts / k, size=n_boot)
        hits += draws[:, 0]
        total += draws[:, 0] + draws[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / total


def tail(is_member: np.ndarray, score: np.ndarray, fpr: float) -> np.ndarray:
    """Indices (sorted) of the samples that can decide the TPR at FPR <= ``fpr`` of a
    resample: those scored at or above the ``K``-th highest non-member (module
    docstring)."""
    y = np.asarray(is_member, dtype=bool)
    neg = np.sort(score[~y])[::-1]
    k = min(len(neg), int(np.ceil(1.5 * fpr * len(neg))) + 50)
    return np.flatnonzero(score >= neg[k - 1])


#: Poisson(1) by its inverse CDF at the midpoints of 2**16 equal steps: a draw is
#: one random uint16 and a lookup (numpy's Poisson sampler is ~10x slower); the
#: probabilities are those of Poisson(1) to within 2**-16.
_POISSON = np.searchsorted(
    np.cumsum([np.exp(-1.0) / np.prod(np.arange(1, k + 1)) for k in range(20)]),
    (np.arange(2**16) + 0.5) / 2**16,
).astype(np.float32)


class _Cuts:
    """One attack's candidate thresholds "score > u" at the distinct values ``u``
    (descending) of the non-members among its tail samples ``idx``: the columns of
    the tail's non-members and members (descending score) among the drawn samples,
    the last non-member of each value, and how many members are above each value."""

    def __init__(self, y, score, idx, cols_of):
        order = idx[np.argsort(-score[idx], kind="stable")]
        neg, pos = order[~y[order]], order[y[order]]
        u = score[neg]
        self.neg_cols, self.pos_cols = cols_of(neg), cols_of(pos)
        self.group_end = np.flatnonzero(np.r_[u[1:] != u[:-1], True])  # last of each value
        # members strictly above each distinct value
        self.above = np.searchsorted(-score[pos], -u[self.group_end], side="left")

    def positions(self, w, limit):
        """``(b,)``: per resample, the members above the lowest value whose cut keeps
        the resampled non-members <= ``limit`` (cut k counts the values before k)."""
        fp = np.cumsum(w[:, self.neg_cols], axis=1)[:, self.group_end]  # through value k
        fp_before = np.concatenate([np.zeros((len(w), 1), fp.dtype), fp[:, :-1]], axis=1)
        k = (fp_before <= limit + 1e-6).sum(axis=1) - 1  # a prefix qualifies; k >= 0
        return self.above[k]


def tpr_replicates(
    is_member: np.ndarray,
    scores: Mapping[str, np.ndarray],
    fprs: Sequence[float],
    n_boot: int,
    rng: np.random.Generator,
) -> dict[tuple[str, float], np.ndarray]:
    """``{(attack, fpr): (B,)}``: the TPR at FPR <= ``fpr`` (thresholds at score
    values, "member iff score >= t", as :func:`diffcal.attacks.metrics.tpr_at_fpr`)
    of each Poisson resample of the tail samples. A resample's members above its
    threshold are summed in two parts: those above every resample's threshold of
    the block by one matrix product, the rest by a running sum."""
    y = np.asarray(is_member, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    tails = {a: tail(y, s, max(fprs)) for a, s in scores.items()}
    union = np.unique(np.concatenate(list(tails.values())))
    cuts = {
        a: _Cuts(y, s, tails[a], lambda i: np.searchsorted(union, i)) for a, s in scores.items()
    }
    keys = [(a, f) for a in scores for f in fprs]
    out = {key: np.empty(n_boot) for key in keys}
    for b0 in range(0, n_boot, BLOCK):
        b = min(BLOCK, n_boot - b0)
        w = _POISSON[rng.integers(0, 2**16, size=(b, len(union)), dtype=np.uint16)]
        pos = {(a, f): cuts[a].positions(w, f * n0) for a, f in keys}
        deep = np.zeros((len(union), len(keys)), np.float32)
        for j, (a, f) in enumerate(keys):
            deep[cuts[a].pos_cols[: pos[a, f].min()], j] = 1.0
        sums = w @ deep  # (b, keys): the members above every threshold of the block
        for j, (a, f) in enumerate(keys):
            lo, hi = pos[a, f].min(), pos[a, f].max()
            run = np.cumsum(w[:, cuts[a].pos_cols[lo:hi]], axis=1)
            run = np.concatenate([np.zeros((b, 1), np.float32), run], axis=1)
            extra = run[np.arange(b), pos[a, f] - lo]
            out[a, f][b0 : b0 + b] = (sums[:, j] + extra) / n1
    return out
