"""Stage ``label_only``: HopSkipJump boundary distances of every model of a part
-> label_only.parquet (paper Table 4; Choquette-Choo et al., 2021).

Points per split (docs/protocol.md, "Label-only attack"): ``min(points, n)``
members and as many non-members, drawn with a seed of (root seed, dataset,
split, "label_only", role); the same for the threshold-selection set
(``shadow_in`` / ``shadow_out``). Each model is attacked on the points of its
setting, exactly as in the score stage (:data:`diffcal.attacks.per_model.SCORED_ROLES`):
the target and its forgetting references on the private points, the shadow and its
forgetting references on the threshold points, the scratch references on both.
Every model gets its own attack run, with its own seed.

Schema (one row per (split, model, ref, sample); sorted like scores.parquet):

| column        | dtype   | meaning                                                    |
|---------------|---------|------------------------------------------------------------|
| split         | int16   | split index t                                              |
| model         | string  | target, shadow, scratch, forget_target, forget_shadow      |
| ref           | int16   | reference index k (0 for target and shadow)                |
| sample_id     | int32   | row of the dataset's data.npz                              |
| label         | int16   | true label y                                               |
| misclassified | bool    | the model's label differs from y (distance 0)              |
| found         | bool    | HopSkipJump found an adversarial point                     |
| distance      | float64 | L2 distance to the boundary found (higher: more member-like) |
| queries       | int32   | label queries spent on the sample                          |

A correctly classified sample for which no adversarial start was found within
``init_size`` random draws (the model gives its label to the whole box sampled)
gets ``found = False`` and the diameter of the input box as its distance: no point
of the box changes its label as far as the attack can tell, so it ranks as far
from the boundary as any sample can be.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.hsj import boundary_distance, check_budget
from diffcal.attacks.per_model import MODEL_ORDER, SCORED_ROLES, key_columns
from diffcal.core.io import write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits, subsample
from diffcal.training.model_files import load_models
from diffcal.training.train import image_batch, image_layout, setup_torch

log = logging.getLogger("diffcal")

BUDGET_KEYS = ("max_iter", "max_eval", "init_eval", "init_size")


def attack_points(sp: pd.DataFrame, points: int, *, root_seed: int, key: str, t: int):
    """Role -> sorted ids attacked in split ``t``: ``min(points, n)`` of each role
    of a setting, ``n`` the smaller role of the two (balanced sets)."""
    out = {}
    for a, b in (("member", "nonmember"), ("shadow_in", "shadow_out")):
        pools = {r: ids_with_role(sp, r) for r in (a, b)}
        size = min(points, *(len(p) for p in pools.values()))
        if size < 1:
            raise ValueError(f"split {t}: no {a}/{b} samples to attack")
        for role, pool in pools.items():
            seed = derive_seed(root_seed, key, t, "label_only", role)
            out[role] = subsample(pool, size, seed=seed)
    return out


def run_label_only(
    *,
    data: str,
    split: str,
    models: Mapping[str, str],
    out: str,
    cfg: Mapping[str, Any],
    seeds: Mapping[str, Any],
    threads: int = 1,
) -> None:
    """``cfg``: the dataset's ``label_only`` section (points and query budget);
    ``seeds``: ``root_seed`` and ``key`` (the split key of every seed)."""
    budget = {k: int(cfg[k]) for k in BUDGET_KEYS}
    check_budget(**budget)
    device = setup_torch(threads)
    d = load_prepared(data)
    # The input domain: every feature value of the dataset (public knowledge: the
    # attack queries must look like inputs, not membership information).
    x_all = d.features()
    clip = (float(x_all.min()), float(x_all.max()))
    diameter = math.sqrt(int(np.prod(x_all.shape[1:]))) * (clip[1] - clip[0])
    del x_all
    root_seed, key = int(seeds["root_seed"]), str(seeds["key"])
    loaded = {
        name: load_models(models[name], device=device)[1] for name in MODEL_ORDER if name in models
    }
    frames = []
    for t, sp in read_splits(split).items():
        pts = attack_points(sp, int(cfg["points"]), root_seed=root_seed, key=key, t=t)
        for name, entries in loaded.items():
            ids = np.sort(np.concatenate([pts[r] for r in SCORED_ROLES[name]]))
            x, y = d.features(ids), d.y[ids]
            for entry in (e for e in entries if int(e["split"]) == t):
                model = entry["model"]
                image_layout(model, x.ndim)  # forward passes only: the faster layout
                start = time.perf_counter()
                res = boundary_distance(
                    lambda z, m=model: m(image_batch(z)),
                    x,
                    y,
                    clip=clip,
                    seed=derive_seed(root_seed, key, t, "hsj", name, int(entry["index"])),
                    progress=lambda msg, tag=f"split {t}: {name}{entry['index']}": log.info(
                        "%s, %s", tag, msg
                    ),
                    device=device,
                    **budget,
                )
                dist = np.where(res.found | res.misclassified, res.distance, diameter)
                log.info("split %d: HopSkipJump on %s%d, %d points in %.1f s: median distance "
                         "%.4g, %d misclassified, %d without adversarial start, %.0f queries "
                         "per point", t, name, entry["index"], len(ids),
                         time.perf_counter() - start, np.median(dist), res.misclassified.sum(),
                         (~res.found & ~res.misclassified).sum(), res.queries.mean())  # fmt: skip
                frames.append(
                    pd.DataFrame(
                        {
                            **key_columns(t, name, entry["index"], ids, y),
                            "misclassified": res.misclassified.astype(bool),
                            "found": res.found.astype(bool),
                            "distance": dist.astype(np.float64),
                            "queries": res.queries.astype(np.int32),
                        }
                    )
                )
    write_parquet(pd.concat(frames, ignore_index=True), out)
