"""Membership scores and difficulty calibration (paper eqs. 1-3 and 5).

All functions are pure numpy. Sign convention: a higher score means "more likely a
member", for every score and every calibration.

Per-sample model outputs (columns of the scores Parquet file) are turned into
membership scores by :data:`SCORES`:

- ``loss``: ``s = -loss = log h(x)_y`` (eq. 1)
- ``gn``: ``s = -||grad_theta loss||_2`` (eq. 2)
- ``confidence``: ``s = max_i log h(x)_i`` (eq. 3)

and calibrated by :func:`calibrate` (eq. 5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def loss_score(outputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Eq. 1: ``-loss``. ``outputs["loss"]``: ``(..., n)`` cross-entropy, >= 0."""
    return -np.asarray(outputs["loss"], dtype=np.float64)


def gn_score(outputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Eq. 2: ``-||grad||_2``. ``outputs["grad_norm"]``: ``(..., n)``, >= 0."""
    return -np.asarray(outputs["grad_norm"], dtype=np.float64)


def confidence_score(outputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Eq. 3: ``max_i log h(x)_i``. ``outputs["max_log_prob"]``: ``(..., n)``, <= 0."""
    return np.asarray(outputs["max_log_prob"], dtype=np.float64)


#: Registry of membership scores: name -> function of the per-sample outputs.
SCORES: dict[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]] = {
    "loss": loss_score,
    "gn": gn_score,
    "confidence": confidence_score,
}

#: Calibration modes: "orig" (none), "cal" (scratch references), "calf" (forgetting).
CALIBRATIONS: tuple[str, ...] = ("orig", "cal", "calf")


def calibrate(target: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Eq. 5: target score minus the mean reference score, per sample.

    Args:
        target: ``(n,)`` membership scores of the target model.
        references: ``(k, n)`` membership scores of ``k >= 1`` reference models.

    Returns:
        ``(n,)`` calibrated scores.

    >>> calibrate(np.array([-0.1, -2.0]), np.array([[-1.0, -2.0], [-3.0, -2.0]]))
    array([1.9, 0. ])
    """
    target = np.asarray(target, dtype=np.float64)
    references = np.asarray(references, dtype=np.float64)
    if references.ndim != 2 or references.shape[1] != target.shape[0] or references.shape[0] < 1:
        raise ValueError(
            f"references must be (k >= 1, n={target.shape[0]}), got {references.shape}"
        )
    return target - references.mean(axis=0)


def boundary_score(outputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Label-only score (Choquette-Choo et al., 2021; paper Table 4): the L2
    distance to the decision boundary found by HopSkipJump, 0 for a misclassified
    sample. ``outputs["distance"]``: ``(..., n)``, >= 0. Members sit further from
    the boundary: higher = more likely a member, like every score here."""
    return np.asarray(outputs["distance"], dtype=np.float64)


#: Name of the label-only attack's columns: ``boundary_orig``, ``boundary_cal``, ...
LABEL_ONLY = "boundary"


def gap_score(correct: np.ndarray) -> np.ndarray:
    """Gap attack (Yeom et al., 2018): 1.0 if the target classifies the sample
    correctly (predict member), else 0.0. ``correct``: ``(n,)`` bool."""
    return np.asarray(correct, dtype=bool).astype(np.float64)


#: The gap attack's fixed threshold: "member" iff correctly classified.
GAP_THRESHOLD = 0.5


def attack_names(scores: list[str], calibrations: list[str], gap: bool) -> list[str]:
    """Column names of the attack table, in the paper's order.

    >>> attack_names(["loss"], ["orig", "cal"], True)
    ['gap', 'loss_orig', 'loss_cal']
    """
    names = ["gap"] if gap else []
    names += [f"{s}_{c}" for s in scores for c in calibrations]
    return names
