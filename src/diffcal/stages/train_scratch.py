"""Stage ``train_scratch``: reference models trained from scratch on public data."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import (
    chunk_indices,
    fit_all,
    private_refs,
    reference_ids,
    val_ids,
)
from diffcal.training.model_files import model_spec, new_model, save_models
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_train_scratch(
    *,
    data: str,
    split: str,
    out: str,
    seeds: Mapping[str, Any],
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    refs: Mapping[str, Any],
    dp: Mapping[str, Any] | None = None,
    chunk: str | None = None,
    threads: int = 1,
) -> None:
    """Train ``refs["scratch"]`` reference models from scratch on public data, per split
    (with DP-SGD when the variant's ``dp`` asks for private references); only those
    of ``chunk`` (``"first-last"`` indices, None = all, :func:`chunk_indices`)."""
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    size_fraction = refs["size_fraction"]
    indices = chunk_indices(chunk, refs["scratch"], "scratch")
    patience = refs["patience"]
    d = load_prepared(data)
    spec = model_spec(d, model_cfg)
    jobs = []
    for t, sp in read_splits(split).items():
        held_out = ids_with_role(sp, "shadow_in", "shadow_out")
        for k in indices:
            seed = derive_seed(root_seed, dataset, t, "scratch", k)
            jobs.append(
                {
                    "model": new_model(spec, seed),
                    "seed": seed,
                    "name": f"split{t} scratch{k}",
                    "train_ids": (
                        ids := reference_ids(
                            sp,
                            size_fraction,
                            derive_seed(root_seed, dataset, t, "reference_subset", k),
                        )
                    ),
                    "test_ids": held_out,
                    "val_ids": val_ids(sp, refs, ids, "shadow_in", "shadow_out"),
                    "meta": {"split": t, "role": "scratch", "index": k},
                }
            )
    private = dp if private_refs(dp) else None
    entries = fit_all(d, jobs, recipe=recipe, device=device, patience=patience, dp=private)
    save_models(out, spec, entries)
