"""Stage ``train_base``: the target and the shadow target of every split of a part
(see :mod:`diffcal.training.fit` for the roles and their data)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import (
    BASE_ROLES,
    fit_all,
    private_refs,
)
from diffcal.training.model_files import model_spec, new_model, save_models
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_train_base(
    *,
    data: str,
    split: str,
    out: Mapping[str, str],
    seeds: Mapping[str, Any],
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    dp: Mapping[str, Any] | None = None,
    threads: int = 1,
) -> None:
    """Train the ``target`` and the ``shadow`` model of every split of the part.

    ``out``: role (``target``, ``shadow``) -> model file. ``seeds``: the split
    key, ``root_seed`` and ``key`` (the dataset's seed key) every seed derives
    from. ``dp``: the variant's DP settings: the target trains with DP-SGD, the shadow too when
    ``dp["references"] == "private"``.
    """
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    d = load_prepared(data)
    sps = read_splits(split)
    spec = model_spec(d, model_cfg)
    for role, path in out.items():
        if role not in BASE_ROLES:
            raise ValueError(f"role must be one of {sorted(BASE_ROLES)}, got {role!r}")
        train_role, test_role = BASE_ROLES[role]
        jobs = []
        for t, sp in sps.items():
            seed = derive_seed(root_seed, dataset, t, role, 0)
            jobs.append({
                "model": new_model(spec, seed), "seed": seed, "name": f"split{t} {role}",
                "train_ids": ids_with_role(sp, train_role),
                "test_ids": ids_with_role(sp, test_role),
                "meta": {"split": t, "role": role, "index": 0},
            })  # fmt: skip
        private = dp if role == "target" or private_refs(dp) else None
        save_models(path, spec, fit_all(d, jobs, recipe=recipe, device=device, dp=private))
