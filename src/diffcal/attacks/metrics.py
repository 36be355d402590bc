"""Attack metrics. Convention everywhere: ``score > tau`` predicts "member".

AUC, ROC and precision-recall curves come from scikit-learn. Threshold selection
for accuracy is written here because scikit-learn has no accuracy-optimal
threshold search; it is a sort and a cumulative sum, checked in the tests against a
brute-force loop over every candidate threshold.

Shapes: ``is_member`` is ``(n,)`` bool (True = member), ``score`` is ``(n,)`` float.
"""

from __future__ import annotations

import numpy as np

# scikit-learn is imported where it is used (a second of a job's start-up): the
# report stages import this module's neighbours without computing a curve.


def _check(is_member: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(is_member).astype(bool)
    s = np.asarray(score, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError(
            f"is_member and score must be 1-D of equal length, got {y.shape}, {s.shape}"
        )
    if not np.isfinite(s).all():
        raise ValueError("score contains NaN or infinite values")
    if y.all() or not y.any():
        raise ValueError("need both members and non-members")
    return y, s


def auc(is_member: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for detecting members.

    >>> auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.1, 0.2]))
    1.0
    """
    y, s = _check(is_member, score)
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def tpr_at_fpr(
    is_member: np.ndarray, score: np.ndarray, fpr: float, *, strict: bool = False
) -> float:
    """Largest true-positive rate over thresholds whose false-positive rate is <= ``fpr``
    (``strict``: < ``fpr``, the convention of the LiRA authors' code; the two differ
    when a threshold reaches exactly ``fpr``, i.e. by one false positive when ``fpr``
    is a multiple of 1 / non-members). Below 1 / non-members both are the TPR at FPR 0.

    >>> tpr_at_fpr(np.array([1, 1, 0, 0]), np.array([0.9, 0.3, 0.5, 0.1]), 0.0)
    0.5
    >>> tpr_at_fpr(np.array([1, 1, 0, 0]), np.array([0.9, 0.3, 0.5, 0.1]), 0.5, strict=True)
    0.5
    """
    y, s = _check(is_member, score)
    from sklearn.metrics import roc_curve

    fprs, tprs, _ = roc_curve(y, s, drop_intermediate=False)
    ok = fprs < fpr - 1e-12 if strict else fprs <= fpr + 1e-12
    # the threshold above every score (nothing flagged, FPR 0) always qualifies
    return float(tprs[ok | (fprs == 0)].max())


def precision_at_recall(is_member: np.ndarray, score: np.ndarray, recall: float) -> float:
    """Largest precision over thresholds whose recall is >= ``recall``.

    >>> precision_at_recall(np.array([1, 1, 0, 0]), np.array([0.9, 0.3, 0.5, 0.1]), 0.5)
    1.0
    """
    y, s = _check(is_member, score)
    from sklearn.metrics import precision_recall_curve

    precision, rec, _ = precision_recall_curve(y, s, drop_intermediate=False)
    return float(precision[rec >= recall - 1e-12].max())


def accuracy_at_threshold(is_member: np.ndarray, score: np.ndarray, tau: float) -> float:
    """Accuracy of predicting "member" iff ``score > tau``.

    >>> accuracy_at_threshold(np.array([1, 0]), np.array([0.7, 0.2]), 0.5)
    1.0
    """
    y, s = _check(is_member, score)
    return float(np.mean((s > tau) == y))


def best_threshold(is_member: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """Threshold ``tau`` maximising accuracy of ``score > tau``, and that accuracy.

    Candidates are ``-inf`` (everything is a member), the midpoints between
    consecutive distinct scores and ``+inf`` (nothing is a member). Ties go to the
    smallest maximising threshold.

    >>> best_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4]))
    (0.25, 1.0)
    """
    y, s = _check(is_member, score)
    order = np.argsort(s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    n = len(s)
    # Cutting after position j (j = 0..n) predicts the j lowest scores "non-member".
    nonmembers_below = np.concatenate([[0], np.cumsum(~y_sorted)])
    members_above = y.sum() - np.concatenate([[0], np.cumsum(y_sorted)])
    correct = nonmembers_below + members_above
    # Only cuts between distinct values are realisable thresholds.
    valid = np.ones(n + 1, dtype=bool)
    valid[1:n] = s_sorted[1:] > s_sorted[:-1]
    j = int(np.flatnonzero(valid)[np.argmax(correct[valid])])
    if j == 0:
        tau = -np.inf
    elif j == n:
        tau = np.inf
    else:
        tau = float((s_sorted[j - 1] + s_sorted[j]) / 2.0)
    return float(tau), float(correct[j] / n)


def roc_points(is_member: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` arrays of the ROC curve (scikit-learn)."""
    y, s = _check(is_member, score)
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, s)
    return fpr, tpr


def pr_points(is_member: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(recall, precision)`` arrays of the precision-recall curve (scikit-learn)."""
    y, s = _check(is_member, score)
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, s)
    return recall, precision


def rates_at_threshold(is_member: np.ndarray, score: np.ndarray, tau: float) -> dict[str, float]:
    """FPR, TPR (= recall) and precision of ``score > tau``."""
    y, s = _check(is_member, score)
    pred = s > tau
    tp = float(np.sum(pred & y))
    fp = float(np.sum(pred & ~y))
    return {
        "fpr": fp / float(np.sum(~y)),
        "tpr": tp / float(np.sum(y)),
        "precision": tp / (tp + fp) if tp + fp > 0 else 1.0,
    }
