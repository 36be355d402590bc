"""Stage ``tune_forget``: the forgetting recipe chosen per split on public data."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.core.io import write_csv, write_json
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import (
    by_split,
    fit_all,
    forget_ids,
    val_ids,
)
from diffcal.training.model_files import load_models
from diffcal.training.train import setup_torch
from diffcal.training.tune import accuracy_distance, pick_closest, recipe_grid

log = logging.getLogger("diffcal")


def run_tune_forget(
    *,
    data: str,
    split: str,
    shadow: str,
    out_json: str,
    out_csv: str,
    seeds: Mapping[str, Any],
    recipe: Mapping[str, Any],
    grid: Mapping[str, list],
    refs: Mapping[str, Any],
    threads: int = 1,
) -> None:
    """Tune the forgetting recipe of every split of the part on public data
    (module docstring).

    Writes ``out_csv`` (one row per split and candidate: ``split``, its grid
    values, accuracies, distance, chosen flag) and ``out_json`` (split -> ``chosen``:
    the grid values picked; ``goal``: the shadow's train / test accuracy).
    """
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    size_fraction, patience = refs["size_fraction"], refs["patience"]
    d = load_prepared(data)
    sps = read_splits(split)
    _, shadow_entries = load_models(shadow, device=device)
    bases = by_split(shadow_entries)
    candidates = recipe_grid(grid)
    accs: dict[tuple[int, int], dict] = {}
    for i, cand in enumerate(candidates):
        log.info("candidate %d/%d: %s", i + 1, len(candidates), cand)
        jobs = []
        for t, sp in sps.items():
            jobs.append(
                {
                    "model": copy.deepcopy(bases[t]["model"]),
                    "seed": derive_seed(root_seed, dataset, t, "forget_tune", 0),
                    "name": f"split{t} tune{i}",
                    "train_ids": (ids := forget_ids(sp, root_seed, dataset, t, size_fraction, 0)),
                    "test_ids": ids_with_role(sp, "shadow_out"),
                    "val_ids": val_ids(sp, refs, ids, "shadow_out"),
                    "meta": {"split": t},
                }
            )
        for e in fit_all(d, jobs, recipe={**recipe, **cand}, device=device, patience=patience):
            accs[e["split"], i] = e
    tables, chosen = [], {}
    for t in sps:
        table, pick = choose(t, candidates, accs, bases[t])
        tables.append(table)
        chosen[str(t)] = pick
    write_csv(pd.concat(tables, ignore_index=True), out_csv)
    write_json(out_json, chosen)


def choose(
    t: int, candidates: list[dict], accs: Mapping, base: Mapping
) -> tuple[pd.DataFrame, dict]:
    """Split ``t``'s candidates (a row each: grid values, accuracies, distance to
    the shadow's, chosen flag) and the pick (``chosen``, ``goal``)."""
    table = pd.DataFrame(
        [
            {
                "split": t,
                **cand,
                "train_acc": accs[t, i]["train_acc"],
                "test_acc": accs[t, i]["test_acc"],
                "best_epoch": accs[t, i].get("best_epoch"),
            }
            for i, cand in enumerate(candidates)
        ]
    )
    goal = {"train_acc": float(base["train_acc"]), "test_acc": float(base["test_acc"])}
    table["distance"] = accuracy_distance(
        table["train_acc"], table["test_acc"], goal["train_acc"], goal["test_acc"]
    )
    best = pick_closest(table["train_acc"], table["test_acc"], goal["train_acc"], goal["test_acc"])
    table["chosen"] = np.arange(len(table)) == best
    log.info("split %d: shadow goal %s; chosen %s", t, goal, candidates[best])
    return table, {"chosen": candidates[best], "goal": goal}
