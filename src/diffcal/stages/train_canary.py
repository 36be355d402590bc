"""Stage ``train_canary``: the training run of the one-run privacy audit
(Steinke, Nasr, Jagielski 2023; :mod:`diffcal.attacks.one_run`) on a variant.

``canaries`` of the first split's *non-members* are drawn (seeded) and each gets a
fair coin (seeded); the variant's recipe and DP settings train one model on the
members plus the canaries whose coin came up heads. The non-members are the canary
pool because no model of the split trained on them: the scratch references' losses
on them calibrate the canaries' scores as they do the non-members'.

With ``kind: mislabelled`` each canary gets a seeded label other than its own
(:func:`diffcal.attacks.one_run.mislabel`) for training and scoring, and the split's
scratch references (``references``: their model files) give each canary their mean
loss at that label (``ref_loss``), which calibrates its score.

Outputs: the model file, and ``canaries.parquet``: ``sample_id`` (int32),
``included`` (bool), ``loss`` (float64, the canary target's cross-entropy), in draw
order; mislabelled canaries also ``label`` (int64) and ``ref_loss`` (float64). The
model's test accuracy is on the non-members that are not canaries, or on the
excluded canaries where every non-member is one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from diffcal.attacks.one_run import draw_canaries, mislabel
from diffcal.core.io import write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import fit_all
from diffcal.training.model_files import load_entries, model_spec, new_model, save_models
from diffcal.training.train import image_batch, image_layout, setup_torch

log = logging.getLogger("diffcal")


@torch.no_grad()
def losses(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n,) float64 cross-entropies of ``model`` (eval mode) on ``x`` (n, ...)."""
    model.eval()
    image_layout(model, np.ndim(x))
    device = next(model.parameters()).device
    z = model(image_batch(torch.as_tensor(x, dtype=torch.float32, device=device)))
    return -F.log_softmax(z.double().cpu(), dim=1)[np.arange(len(y)), y].numpy()


def run_train_canary(
    *,
    data: str,
    split: str,
    models: str,
    canaries_out: str,
    seeds: Mapping[str, Any],
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    dp: Mapping[str, Any] | None,
    canaries: int,
    kind: str = "natural",
    references: Sequence[str] = (),
    threads: int = 1,
) -> None:
    """``kind``: ``natural`` or ``mislabelled`` canaries; ``references``: the split's
    scratch reference files (mislabelled canaries only)."""
    device = setup_torch(threads)
    d = load_prepared(data)
    t, sp = next(iter(read_splits(split).items()))
    root, key = seeds["root_seed"], seeds["key"]
    ids, included = draw_canaries(
        ids_with_role(sp, "nonmember"), canaries, derive_seed(root, key, t, "canaries")
    )
    extra = {}
    if kind == "mislabelled":
        d, extra = _mislabelled(d, ids, derive_seed(root, key, t, "canary_labels"))
        extra["ref_loss"] = _reference_loss(references, t, d, ids, device)
    spec = model_spec(d, model_cfg)
    job = _job(sp, ids, included, spec, derive_seed(root, key, t, "canary_target", 0), t)
    entries = fit_all(d, [job], recipe=recipe, device=device, dp=dp)
    save_models(models, spec, entries)
    loss = losses(entries[0]["model"], d.features(ids), d.y[ids])
    write_parquet(
        pd.DataFrame(
            {
                "sample_id": ids.astype(np.int32),
                "included": included,
                "loss": loss.astype(np.float64),
                **extra,
            }
        ),
        canaries_out,
    )


def _job(sp, ids: np.ndarray, included: np.ndarray, spec, seed: int, t: int) -> dict:
    """The canary target's training job: split ``sp``'s members plus the included
    canaries; tested on the non-members that are not canaries (the excluded
    canaries where every non-member is one)."""
    train_ids = np.sort(np.concatenate([ids_with_role(sp, "member"), ids[included]]))
    held_out = np.setdiff1d(ids_with_role(sp, "nonmember"), ids)
    if not len(held_out):
        held_out = np.sort(ids[~included])
    log.info(
        "split %d: %d canaries, %d of them in the training set (%d samples)",
        t,
        len(ids),
        int(included.sum()),
        len(train_ids),
    )
    return {
        "model": new_model(spec, seed),
        "seed": seed,
        "name": f"split{t} canary target",
        "train_ids": train_ids,
        "test_ids": held_out,
        "meta": {"split": t, "role": "canary_target", "index": 0},
    }


def _mislabelled(d, ids: np.ndarray, seed: int) -> tuple[Any, dict[str, np.ndarray]]:
    """``d`` with the canaries ``ids`` relabelled (:func:`mislabel`, ``seed``), and
    their new labels as the column ``label``."""
    labels = mislabel(d.y[ids], d.num_classes, seed)
    y = d.y.copy()
    y[ids] = labels
    return dataclasses.replace(d, y=y), {"label": labels}


def _reference_loss(
    paths: Sequence[str], split: int, d, ids: np.ndarray, device: torch.device
) -> np.ndarray:
    """(m,) float64 mean loss of split ``split``'s scratch references (model files
    ``paths``) on the canaries ``ids`` at their labels in ``d``."""
    refs = [e for e in load_entries(paths, device=device) if int(e["split"]) == split]
    if not refs:
        raise ValueError(f"one_run: no scratch reference of split {split} in {list(paths)}")
    x, y = d.features(ids), d.y[ids]
    return np.mean([losses(e["model"], x, y) for e in refs], axis=0)
