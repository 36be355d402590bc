"""What the per-model stages (``score``, ``label_only``) share: which samples each
model of a part is evaluated on, and the key columns of their frames. A module of
its own, so that editing one of those stages does not rerun the other."""

from __future__ import annotations

import numpy as np
import pandas as pd

MODEL_ORDER = ("target", "shadow", "scratch", "forget_target", "forget_shadow")
PRIVATE = ("member", "nonmember")
THRESHOLD = ("shadow_in", "shadow_out")
SCORED_ROLES = {
    "target": PRIVATE,
    "forget_target": PRIVATE,
    "shadow": THRESHOLD,
    "forget_shadow": THRESHOLD,
    "scratch": PRIVATE + THRESHOLD,
}


def key_columns(
    t: int, model: str, ref: int, ids: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray]:
    """The leading columns of a per-model frame (split, model, ref, sample_id,
    label) for samples ``ids`` with labels ``y`` (both ``(n,)``)."""
    n = len(ids)
    return {
        "split": np.full(n, t, dtype=np.int16),
        "model": pd.array([model] * n, dtype="string"),
        "ref": np.full(n, ref, dtype=np.int16),
        "sample_id": ids.astype(np.int32),
        "label": y.astype(np.int16),
    }
