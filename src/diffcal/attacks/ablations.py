"""Maths of the ablations (paper section 4.3): member:non-member ratios (Figure 4),
the first K references (Figure 5) and curves on a common grid (Figures 4, 6).

Pure numpy on arrays of scores; the figure stages (``diffcal.stages.fig_*``) read
the Parquet files and write the figures. Convention as everywhere: a higher score
means "more likely a member", ``score > tau`` predicts "member".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from diffcal.attacks import metrics
from diffcal.attacks.calibration import calibrate
from diffcal.core.seeds import numpy_rng

#: Recall grid of the precision-recall curves (Figure 4, 6) and FPR grid of the
#: ROC curves (Figure 6, log-spaced to show the low-FPR regime).
RECALL_GRID = np.linspace(0.0, 1.0, 101)
FPR_GRID = np.concatenate([[0.0], np.logspace(-4, 0, 81)])


def subsample_members(is_member: np.ndarray, ratio: float, *, seed: int) -> np.ndarray:
    """Subsample to ``ratio`` members per non-member: keep every non-member and
    draw ``round(ratio * n_nonmembers)`` members without replacement (seeded); if
    there are too few members for that (ratio near 1 on a set with a few more
    non-members), keep every member and draw ``round(n_members / ratio)``
    non-members instead.

    Args:
        is_member: ``(n,)`` bool.
        ratio: members per non-member, in ``(0, 1]``.
        seed: seed of the draw.

    Returns:
        ``(n,)`` bool mask of the samples kept.

    >>> subsample_members(np.array([1, 1, 1, 1, 0, 0], bool), 0.5, seed=0).sum()
    np.int64(3)
    """
    y = np.asarray(is_member, dtype=bool)
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must lie in (0, 1], got {ratio}")
    members, nonmembers = np.flatnonzero(y), np.flatnonzero(~y)
    rng = numpy_rng(seed)
    keep = np.zeros(len(y), dtype=bool)
    n_keep = int(round(ratio * len(nonmembers)))
    if n_keep <= len(members):
        keep[nonmembers] = True
        keep[rng.choice(members, size=n_keep, replace=False)] = True
    else:
        keep[members] = True
        keep[rng.choice(nonmembers, size=int(round(len(members) / ratio)), replace=False)] = True
    if not keep[members].any():
        raise ValueError(
            f"ratio {ratio} keeps no member of {len(members)} (and {len(nonmembers)} non-members)"
        )
    return keep


def ratio_metrics(
    eval_member: np.ndarray,
    eval_score: np.ndarray,
    thr_member: np.ndarray,
    thr_score: np.ndarray,
    ratio: float,
    *,
    seed_eval: int,
    seed_thr: int,
    recall_levels: Sequence[float] = (),
) -> dict[str, float]:
    """Metrics of one attack when the evaluation members are subsampled to ``ratio``.

    The threshold is chosen two ways: ``tau_balanced``, the accuracy-optimal
    threshold of the full (1:1) threshold-selection set, and ``tau_matched``, that
    of the threshold-selection set subsampled to the same ratio (the attacker
    who knows the prior). ``*_member``: ``(n,)``/``(m,)`` bool; ``*_score``: same.

    Returns ``acc_balanced_tau``, ``acc_matched_tau``, ``tau_balanced``,
    ``tau_matched``, ``acc_all_nonmember`` (the trivial attack), ``auc``,
    ``avg_precision`` and ``precision_at_recall_<r>`` for each level.
    """
    keep = subsample_members(eval_member, ratio, seed=seed_eval)
    y, s = np.asarray(eval_member, bool)[keep], np.asarray(eval_score, np.float64)[keep]
    thr_keep = subsample_members(thr_member, ratio, seed=seed_thr)
    tau_balanced, _ = metrics.best_threshold(thr_member, thr_score)
    tau_matched, _ = metrics.best_threshold(
        np.asarray(thr_member, bool)[thr_keep], np.asarray(thr_score)[thr_keep]
    )
    row = {
        "ratio": float(ratio),
        "n_members": int(y.sum()),
        "n_nonmembers": int((~y).sum()),
        "tau_balanced": tau_balanced,
        "tau_matched": tau_matched,
        "acc_balanced_tau": metrics.accuracy_at_threshold(y, s, tau_balanced),
        "acc_matched_tau": metrics.accuracy_at_threshold(y, s, tau_matched),
        "acc_all_nonmember": float((~y).mean()),
        "auc": metrics.auc(y, s),
        "avg_precision": average_precision(y, s),
    }
    for r in recall_levels:
        row[f"precision_at_recall_{r:g}"] = metrics.precision_at_recall(y, s, r)
    return row


def average_precision(is_member: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve (scikit-learn's average precision)."""
    from sklearn.metrics import average_precision_score

    y, s = metrics._check(is_member, score)
    return float(average_precision_score(y, s))


def precision_on_grid(
    is_member: np.ndarray, score: np.ndarray, grid: np.ndarray = RECALL_GRID
) -> np.ndarray:
    """Interpolated precision-recall curve: for each recall level ``r`` of ``grid``
    (``(g,)``), the largest precision of any threshold with recall >= ``r``
    (the same definition as :func:`diffcal.attacks.metrics.precision_at_recall`).
    Returns ``(g,)``."""
    y, s = metrics._check(is_member, score)
    precision, recall, _ = precision_recall_curve(y, s, drop_intermediate=False)
    # recall is non-increasing in sklearn's output: the running max of precision
    # from the high-recall end gives max{precision : recall >= r}.
    order = np.argsort(recall, kind="stable")
    rec, prec = recall[order], precision[order]
    best_from = np.maximum.accumulate(prec[::-1])[::-1]
    idx = np.searchsorted(rec, np.asarray(grid) - 1e-12, side="left")
    return best_from[np.minimum(idx, len(rec) - 1)]


def tpr_on_grid(
    is_member: np.ndarray, score: np.ndarray, grid: np.ndarray = FPR_GRID
) -> np.ndarray:
    """ROC curve on a grid: for each FPR level ``f`` of ``grid`` (``(g,)``), the
    largest TPR of any threshold with FPR <= ``f`` (as
    :func:`diffcal.attacks.metrics.tpr_at_fpr`). Returns ``(g,)``."""
    y, s = metrics._check(is_member, score)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)  # fpr non-decreasing
    best_upto = np.maximum.accumulate(tpr)
    idx = np.searchsorted(fpr, np.asarray(grid) + 1e-12, side="right") - 1
    return best_upto[idx]


def k_curve(
    eval_member: np.ndarray,
    eval_target: np.ndarray,
    eval_refs: np.ndarray,
    thr_member: np.ndarray,
    thr_target: np.ndarray,
    thr_refs: np.ndarray,
    ks: Sequence[int],
) -> list[dict[str, float]]:
    """Calibrated attack with the *first* ``k`` references, for each ``k`` in ``ks``.

    Args:
        eval_member: ``(n,)`` bool; eval_target: ``(n,)`` uncalibrated scores of
            the target; eval_refs: ``(K, n)`` scores of its references, in the
            order they were trained (index 0 first).
        thr_member, thr_target, thr_refs: the same for the threshold-selection
            setting (shadow and its references), ``(m,)``, ``(m,)``, ``(K', m)``.
        ks: numbers of references, each ``<= min(K, K')``.

    Returns:
        one dict per ``k``: ``k``, ``auc``, ``acc`` (threshold from the
        threshold-selection set calibrated with its first ``k`` references),
        ``tau``.
    """
    eval_refs, thr_refs = np.atleast_2d(eval_refs), np.atleast_2d(thr_refs)
    available = min(len(eval_refs), len(thr_refs))
    rows = []
    for k in ks:
        if not 1 <= k <= available:
            raise ValueError(f"K = {k} references requested; {available} available")
        s_eval = calibrate(eval_target, eval_refs[:k])
        s_thr = calibrate(thr_target, thr_refs[:k])
        tau, _ = metrics.best_threshold(thr_member, s_thr)
        rows.append(
            {
                "k": int(k),
                "auc": metrics.auc(eval_member, s_eval),
                "acc": metrics.accuracy_at_threshold(eval_member, s_eval, tau),
                "tau": tau,
            }
        )
    return rows
