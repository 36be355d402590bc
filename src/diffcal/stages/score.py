"""Stage ``score``: per-sample outputs of every model of a part -> scores.parquet.

Schema (one row per (split, model, ref, sample); sorted by split, model order, ref,
sample_id):

| column        | dtype   | meaning                                              |
|---------------|---------|------------------------------------------------------|
| split         | int16   | split index t                                        |
| model         | string  | target, shadow, scratch, forget_target, forget_shadow |
| ref           | int16   | reference index k (0 for target and shadow)          |
| sample_id     | int32   | row of the dataset's data.npz, stable across models  |
| label         | int16   | true label y                                         |
| pred          | int16   | argmax prediction                                    |
| correct       | bool    | pred == label                                        |
| loss          | float64 | cross-entropy -log h(x)_y (eq. 1 score is -loss)     |
| grad_norm     | float64 | L2 norm of the per-sample gradient (eq. 2 is -norm)  |
| max_log_prob  | float64 | max_i log h(x)_i (eq. 3 score)                       |

Which samples each model is scored on: target and forget_target on the private
set (member + nonmember); shadow and forget_shadow on the threshold-selection set
(shadow_in + shadow_out); scratch references on both.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.attacks.model_samples import MODEL_ORDER, SCORED_ROLES, key_columns
from diffcal.attacks.scores import per_sample_outputs
from diffcal.core.io import write_parquet
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.model_files import load_entries
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_score(
    *,
    data: str,
    split: str,
    models: Mapping[str, str | Sequence[str]],
    out: str,
    batch_size: int = 256,
    threads: int = 1,
) -> None:
    """``models``: model name (a key of :data:`SCORED_ROLES`) -> model file of the
    part, or its chunk files (``models_per_job``); every split of ``split`` is scored."""
    device = setup_torch(threads)
    d = load_prepared(data)
    loaded = {
        name: load_entries(models[name], device=device) for name in MODEL_ORDER if name in models
    }
    frames = []
    for t, sp in read_splits(split).items():
        for name, entries in loaded.items():
            ids = ids_with_role(sp, *SCORED_ROLES[name])
            x, y = d.features(ids), d.y[ids]
            for entry in (e for e in entries if int(e["split"]) == t):
                o = per_sample_outputs(entry["model"], x, y, batch_size=batch_size)
                log.info(
                    "split %d: scored %s%d on %d samples (acc %.4f)",
                    t,
                    name,
                    entry["index"],
                    len(ids),
                    o["correct"].mean(),
                )
                frames.append(
                    pd.DataFrame(
                        {
                            **key_columns(t, name, entry["index"], ids, y),
                            "pred": o["pred"].astype(np.int16),
                            "correct": o["correct"].astype(bool),
                            "loss": o["loss"],
                            "grad_norm": o["grad_norm"],
                            "max_log_prob": o["max_log_prob"],
                        }
                    )
                )
    write_parquet(pd.concat(frames, ignore_index=True), out)
