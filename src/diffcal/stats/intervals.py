"""95 % intervals of a table cell (a metric averaged over T splits).

Two intervals, both of the *mean over splits* that a table cell reports:

- :func:`t_interval`: Student-t over the T per-split values. It covers everything
  that varies between splits (which samples are members, model training), but
  with T = 5 its width rests on a standard deviation with 4 degrees of freedom.
- :func:`diffcal.stats.bootstrap.bootstrap_means`: the splits' models and
  thresholds held fixed, members and non-members are resampled with replacement
  *within* each split (each group keeps its size), the metric is recomputed per
  split and averaged over splits; the 2.5 / 97.5 % percentiles of those averages
  are the interval. It measures the noise of evaluating on a finite sample
  (39 + 39 samples per Hepatitis split), not training noise.

Written by hand because the metrics have to be recomputed for a thousand
resamples of up to 35,000 samples: a resample is the integer count of each sample
(:class:`Resamples`), and :func:`resampled_auc` evaluates all resamples of a cell
from one sort and one running count, in integers (a loop over scikit-learn's
``roc_auc_score(sample_weight=...)``, the oracle of the tests, takes minutes per
table; the dense float64 version, :func:`weighted_auc`, took a minute for the
tabular paper rows).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence

import numpy as np

#: Resamples per split (percentile interval of 1,000 replicate means).
N_BOOT = 1000


@functools.cache
def t_quantile(p: float, df: float) -> float:
    """Student-t quantile: ``scipy.stats.t.ppf(p, df)``, the same number from
    scipy.special (scipy.stats took 1-2.7 s to import, the most of a tables job's
    start, and a millisecond per call)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t ``level`` interval of the mean over ``values`` (splits):
    ``mean ± t_{(1+level)/2, T-1} * sd / sqrt(T)``; NaN bounds for one value.

    >>> t_interval([0.5, 0.5, 0.5])
    (0.5, 0.5, 0.5)
    """
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(t_quantile((1 + level) / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half


class Resamples:
    """``n_boot`` stratified resamples of one split: members and non-members are each
    drawn with replacement, keeping their counts; ``pos`` / ``neg`` hold how often
    each member / non-member is drawn, ``(n_members, B)`` / ``(n_nonmembers, B)``
    int32 (sample-major, so that picking samples copies whole rows), samples in id
    order within their group.

    The cells of a table evaluate every resample from these counts in exact integer
    arithmetic (:func:`resampled_auc`, :func:`resampled_accuracy`), so a cell is a
    few passes over ``(n, B)`` int32 arrays and no ``(B, n)`` float64 copy; the
    result is the float64 rounding of the exact quotient, which is what the dense
    float64 weights (:meth:`dense`, :func:`weighted_auc`) give too, bit for bit.
    """

    def __init__(self, is_member: np.ndarray, n_boot: int, rng: np.random.Generator) -> None:
        self.is_member = np.asarray(is_member, dtype=bool)
        self.members = np.flatnonzero(self.is_member)
        self.nonmembers = np.flatnonzero(~self.is_member)
        self.n_boot = n_boot
        self.pos, self.neg = (
            self._counts(len(g), n_boot, rng) for g in (self.members, self.nonmembers)
        )
        self._dense: np.ndarray | None = None
        self._float32: tuple[np.ndarray, np.ndarray] | None = None

    def float32(self) -> tuple[np.ndarray, np.ndarray]:
        """``pos`` and ``neg`` as float32 (for BLAS sums, exact below 2**24)."""
        if self._float32 is None:
            self._float32 = (self.pos.astype(np.float32), self.neg.astype(np.float32))
        return self._float32

    @staticmethod
    def _counts(k: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
        """Multiplicities of ``k`` items in each of ``n_boot`` draws of ``k`` with
        replacement (one multinomial draw each), ``(k, B)`` int32."""
        counts = np.empty((k, n_boot), dtype=np.int32)
        if k == 0:
            return counts
        # int32 draws: the same numbers as the default int64 (numpy draws both with
        # one 32-bit bounded routine when k < 2**32; tests/unit/stats/test_intervals.py checks
        # the counts against int64 draws), half the memory: a fresh (B, k) array is
        # mostly page faults, and this halved the draws of an Adult split.
        draws = rng.integers(0, k, size=(n_boot, k), dtype=np.int32 if k < 2**31 else np.int64)
        # A bincount per resample (3x faster than one of all), written to the
        # sample-major layout 64 resamples at a time: a (64, k) block transposes in
        # cache, 2x faster than transposing the whole (B, k) array at the end.
        block = np.empty((min(64, n_boot), k), dtype=np.int32)
        for b0 in range(0, n_boot, len(block)):
            rows = block[: min(len(block), n_boot - b0)]
            for j, draw in enumerate(draws[b0 : b0 + len(rows)]):
                rows[j] = np.bincount(draw, minlength=k)
            counts[:, b0 : b0 + len(rows)] = rows.T
        return counts

    def dense(self) -> np.ndarray:
        """The multiplicity of every sample, ``(B, n)`` float64 (each row sums to n)."""
        if self._dense is None:
            w = np.zeros((self.n_boot, len(self.is_member)), dtype=np.float64)
            w[:, self.members] = self.pos.T
            w[:, self.nonmembers] = self.neg.T
            self._dense = w
        return self._dense

    def rows(self, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``pos`` and of ``neg`` of the samples in ``mask`` (``(n,)``
        bool; None = all): ``(p,)``, ``(q,)``."""
        if mask is None:
            return np.arange(len(self.members)), np.arange(len(self.nonmembers))
        mask = np.asarray(mask, dtype=bool)
        return np.flatnonzero(mask[self.members]), np.flatnonzero(mask[self.nonmembers])


def resample_weights(is_member: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicity of each sample in ``n_boot`` stratified resamples (as
    :class:`Resamples`, dense). ``is_member``: ``(n,)`` bool -> ``(n_boot, n)``
    float64 (each row sums to n)."""
    return Resamples(is_member, n_boot, rng).dense()


def resampled_auc(r: Resamples, score: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """ROC AUC of ``score`` (higher = member) in each resample of ``r``, ties counted
    one half; only the samples in ``mask`` (None = all). ``score``: ``(n,)`` ->
    ``(B,)``. Equal to :func:`weighted_auc` on ``r.dense()`` bit for bit.

    Each member's share of non-members below it (plus half the tied ones) is read
    from the running count of the non-members sorted by score
    (:func:`_running_counts`): twice it is ``cum[lo] + cum[hi]`` (``lo`` / ``hi``:
    non-members strictly below / at most at the member's score), all in integers."""
    s = np.asarray(score, dtype=np.float64)
    pos_rows, neg_rows = r.rows(mask)
    s_pos = s[r.members[pos_rows]]
    values = np.unique(np.r_[s_pos, s[r.nonmembers[neg_rows]]])
    if len(values) <= FEW_VALUES:
        return _few_values_auc(r, s, values, mask)
    order = np.argsort(s[r.nonmembers[neg_rows]], kind="stable")
    neg_rows = neg_rows[order]
    s_neg = s[r.nonmembers[neg_rows]]
    cum = _running_counts(r.neg, neg_rows)
    lo = np.searchsorted(s_neg, s_pos, side="left")
    hi = np.searchsorted(s_neg, s_pos, side="right")
    pos = r.pos if mask is None else r.pos[pos_rows]
    # A member's term is at most its count times the non-members, so every sum is
    # at most n_pos * n_neg: int32 sums when that fits (einsum without a cast is
    # 2.5x faster), int64 otherwise.
    acc = np.int32 if len(pos_rows) * len(neg_rows) < 2**31 else np.int64
    twice = np.zeros(r.n_boot, dtype=np.int64)
    for c in range(0, len(lo), _CHUNK):  # (chunk, B) gathers stay in cache
        twice += np.einsum("ib,ib->b", pos[c : c + _CHUNK], cum(lo[c : c + _CHUNK]), dtype=acc)
    twice *= 2
    tied = np.flatnonzero(hi > lo)  # cum[lo] + cum[hi] = 2 cum[lo] + (cum[hi] - cum[lo])
    if len(tied):
        twice += np.einsum("ib,ib->b", pos[tied], cum(hi[tied]) - cum(lo[tied]), dtype=acc)
    if mask is None:  # every resample keeps the group sizes
        den = np.int64(len(pos_rows) * len(neg_rows))
    else:
        total = cum(np.array([len(neg_rows)]))[0]
        den = pos.sum(axis=0, dtype=np.int64) * total.astype(np.int64)
    return twice.astype(np.float64) / (2 * den).astype(np.float64)


#: Members per gathered block of running counts in :func:`resampled_auc`.
_CHUNK = 256

#: Per-thread scratch memory of :func:`_running_counts` (see there).
_scratch = threading.local()


def _running_counts(counts: np.ndarray, rows: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Running sums of ``counts[rows]`` (``counts``: ``(k, B)`` int32; ``rows``:
    ``(m,)``): returns ``cum``, ``cum(p)`` = the sum of the first ``p`` rows for
    each ``p`` of an index array -> ``(len(p), B)`` int32 (exact: at most the
    number of samples).

    Written by hand: numpy's cumsum along the first axis of an ``(m, B)`` array
    is 6x slower than a loop of row additions, and that loop (one small numpy
    call per row, 12,000 rows for Adult) holds the GIL, so the threads of
    :func:`~diffcal.stats.bootstrap.bootstrap_means` could not share the work.
    Here the ``m`` rows are
    ``b`` x ``nb`` blocks (``b`` ~ sqrt(m)) laid out position-in-block first: the
    running sum within blocks is ``b`` additions of whole ``(nb, B)`` planes, the
    block offsets ``nb`` row additions, then one broadcast addition; about
    2 sqrt(m) numpy calls, each long enough to release the GIL (Adult: 55 ms per
    cell on one thread instead of 88, 31 instead of 87 on two). The ``(b, nb,
    B)`` array lives in per-thread scratch memory, reused from cell to cell: a
    fresh 48 MB array per cell cost a third of the time in page faults."""
    m, n_boot = len(rows), counts.shape[1]
    b = max(1, int(np.ceil(np.sqrt(m))))
    nb = max(1, -(-m // b))
    size = b * nb * n_boot
    buf = getattr(_scratch, "cum", None)
    if buf is None or buf.size < size:
        buf = _scratch.cum = np.empty(size, dtype=np.int32)
    cum = buf[:size].reshape(b, nb, n_boot)  # position p of the sort: [p % b, p // b]
    idx = np.zeros(b * nb, dtype=np.int64)
    idx[:m] = rows
    if m:  # (a group without samples has no row to take)
        np.take(counts, idx.reshape(nb, b).T, axis=0, out=cum, mode="clip")
    pad = np.arange(m, b * nb)  # beyond the last row: zero counts
    cum[pad % b, pad // b] = 0
    for j in range(1, b):  # within each block (planes do not overlap: no copies)
        np.add(cum[j - 1], cum[j], out=cum[j])
    offset = np.zeros((nb, n_boot), dtype=np.int32)  # the rows of earlier blocks
    for k in range(1, nb):
        np.add(offset[k - 1], cum[b - 1, k - 1], out=offset[k])
    cum += offset[None]

    def first(p: np.ndarray) -> np.ndarray:
        q = np.asarray(p) - 1  # the sum of the first p rows ends at row p - 1
        out = cum[q % b, q // b]
        out[q < 0] = 0
        return out

    return first


#: Scores with at most this many distinct values (a gap attack has two) take
#: :func:`_few_values_auc`: a matrix product per value instead of a running count
#: per non-member.
FEW_VALUES = 64


def _few_values_auc(
    r: Resamples, s: np.ndarray, values: np.ndarray, mask: np.ndarray | None
) -> np.ndarray:
    """:func:`resampled_auc` for a score taking the (sorted, distinct) ``values``:
    the member and non-member counts per value, ``(G, B)`` each, from one float32
    matrix product per group (exact: integers below 2**24), then the AUC of the
    grouped counts in float64 (exact: integers below 2**53) -> ``(B,)``."""
    keep = np.ones(len(s), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    level = np.searchsorted(values, np.where(keep, s, values[0]))
    onehot = (level[:, None] == np.arange(len(values))) & keep[:, None]  # (n, G)
    pos32, neg32 = r.float32()
    pos = (onehot[r.members].T.astype(np.float32) @ pos32).astype(np.float64)
    neg = (onehot[r.nonmembers].T.astype(np.float32) @ neg32).astype(np.float64)
    below = np.cumsum(neg, axis=0) - neg  # non-members strictly below each value
    twice = (pos * (2 * below + neg)).sum(axis=0)
    den = pos.sum(axis=0) * neg.sum(axis=0)
    return twice / (2 * den)


def resampled_accuracy(
    r: Resamples, correct: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Share of correctly classified samples (``correct``: ``(n,)`` bool) among those
    in ``mask`` (None = all) in each resample of ``r`` -> ``(B,)``; equal to
    :func:`weighted_accuracy` on ``r.dense()`` bit for bit."""
    masks = None if mask is None else np.asarray(mask, dtype=bool)[:, None]
    return resampled_accuracies(r, np.asarray(correct, dtype=bool)[:, None], masks)[0]


def resampled_accuracies(
    r: Resamples, correct: np.ndarray, masks: np.ndarray | None = None
) -> np.ndarray:
    """:func:`resampled_accuracy` of C cells at once: ``correct`` ``(n, C)`` bool,
    ``masks`` ``(n, C)`` bool or None (all samples) -> ``(C, B)``.

    One matrix product per group reads the resample counts once for all C cells
    (a table's accuracy cells of one split: 11 passes over the counts became one)."""
    ok = np.asarray(correct, dtype=bool)
    if masks is not None:
        ok = ok & np.asarray(masks, dtype=bool)
    pos32, neg32 = r.float32()
    # float32 products: every partial sum is an integer below 2**24, so exact.
    hits = (
        ok[r.members].T.astype(np.float32) @ pos32 + ok[r.nonmembers].T.astype(np.float32) @ neg32
    )
    if masks is None:  # every resample keeps the group sizes
        total = np.float64(len(r.is_member))
    else:
        m = np.asarray(masks, dtype=bool)
        total = (m[r.members].T.astype(np.float32) @ pos32).astype(np.float64) + (
            m[r.nonmembers].T.astype(np.float32) @ neg32
        )
    return hits.astype(np.float64) / total


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


def weighted_accuracy(
    is_member: np.ndarray, score: np.ndarray, tau: float, weights: np.ndarray
) -> np.ndarray:
    """Accuracy of "member iff ``score > tau``" under each row of sample weights.
    ``(n,)``, ``(n,)``, scalar, ``(B, n)`` -> ``(B,)``."""
    correct = (np.asarray(score, dtype=np.float64) > tau) == np.asarray(is_member, dtype=bool)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    return (w @ correct.astype(np.float64)) / w.sum(axis=1)


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
