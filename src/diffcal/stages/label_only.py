"""Stage ``label_only``: HopSkipJump boundary distances of every model of a part
-> label_only.parquet (paper Table 4; Choquette-Choo et al., 2021).

Points per split (docs/protocol.md, "Label-only attack"): ``min(points, n)``
members and as many non-members, drawn with a seed of (root seed, dataset,
split, "label_only", role); the same for the threshold-selection set
(``shadow_in`` / ``shadow_out``). Each model is attacked on the points of its
setting, exactly as in the score stage (:data:`diffcal.attacks.model_samples.SCORED_ROLES`):
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
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import pandas as pd
import torch

from diffcal.attacks.hsj import boundary_distance, check_budget
from diffcal.attacks.model_samples import MODEL_ORDER, SCORED_ROLES, key_columns
from diffcal.core.io import write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits, subsample
from diffcal.training.model_files import load_models
from diffcal.training.train import image_batch, image_layout, pick_device, setup_torch

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


#: Per process: prepared data and model files already loaded (a worker runs many
#: attacks of the same files).
_LOADED: dict[tuple[str, str, str], Any] = {}


def _loaded(kind: str, path: str, device: str):
    if (kind, path, device) not in _LOADED:
        if kind == "data":
            _LOADED[kind, path, device] = load_prepared(path)
        else:
            _LOADED[kind, path, device] = load_models(path, device=torch.device(device))[1]
    return _LOADED[kind, path, device]


def _attack(task: Mapping[str, Any]) -> tuple[pd.DataFrame, str]:
    """One model's HopSkipJump run (``task``: see :func:`run_label_only`) -> its rows
    and a one-line summary. Runs in the job's process or in a worker process: the
    result does not depend on which (one torch thread on the CPU either way)."""
    d = _loaded("data", task["data"], task["device"])
    entries = _loaded("models", task["models"], task["device"])
    t, name, index, ids = task["split"], task["name"], task["index"], task["ids"]
    (model,) = [e["model"] for e in entries if int(e["split"]) == t and int(e["index"]) == index]
    x, y = d.features(ids), d.y[ids]
    image_layout(model, x.ndim)  # forward passes only: the faster layout
    start = time.perf_counter()
    tag = f"split {t}: {name}{index}"
    progress = (lambda msg: log.info("%s, %s", tag, msg)) if task["progress"] else None
    res = boundary_distance(
        lambda z: model(image_batch(z)),
        x,
        y,
        clip=task["clip"],
        seed=task["seed"],
        progress=progress,
        device=task["device"],
        **task["budget"],
    )
    dist = np.where(res.found | res.misclassified, res.distance, task["diameter"])
    summary = (
        f"{tag}: HopSkipJump on {len(ids)} points in "
        f"{time.perf_counter() - start:.1f} s: median distance {np.median(dist):.4g}, "
        f"{res.misclassified.sum()} misclassified, "
        f"{(~res.found & ~res.misclassified).sum()} without adversarial start, "
        f"{res.queries.mean():.0f} queries per point"
    )
    frame = pd.DataFrame(
        {
            **key_columns(t, name, index, ids, y),
            "misclassified": res.misclassified.astype(bool),
            "found": res.found.astype(bool),
            "distance": dist.astype(np.float64),
            "queries": res.queries.astype(np.int32),
        }
    )
    return frame, summary


def run_label_only(
    *,
    data: str,
    split: str,
    models: Mapping[str, str | Sequence[str]],
    out: str,
    cfg: Mapping[str, Any],
    seeds: Mapping[str, Any],
    threads: int = 1,
) -> None:
    """``cfg``: the dataset's ``label_only`` section (points and query budget);
    ``seeds``: ``root_seed`` and ``key`` (the split key of every seed).

    Every model's attack is independent of the others: on the CPU, ``threads``
    worker processes run them side by side, each with one torch thread, so the
    distances are the same for any ``threads`` (on a GPU, one process)."""
    budget = {k: int(cfg[k]) for k in BUDGET_KEYS}
    check_budget(**budget)
    device = pick_device()
    setup_torch(1 if device.type == "cpu" else threads)
    clip, diameter = _domain(_loaded("data", data, str(device)))  # the attacks reuse it
    root_seed, key = int(seeds["root_seed"]), str(seeds["key"])
    names = [name for name in MODEL_ORDER if name in models]
    files = {
        name: [models[name]] if isinstance(models[name], str) else list(models[name])
        for name in names
    }  # a set's chunk files (models_per_job), in chunk order
    indices = {(name, f): _model_indices(f, str(device)) for name in names for f in files[name]}
    tasks = []
    for t, sp in read_splits(split).items():
        pts = attack_points(sp, int(cfg["points"]), root_seed=root_seed, key=key, t=t)
        for name, path in ((n, f) for n in names for f in files[n]):
            ids = np.sort(np.concatenate([pts[r] for r in SCORED_ROLES[name]]))
            for index in (i for s, i in indices[name, path] if s == t):
                tasks.append(
                    {
                        "data": data,
                        "models": path,
                        "name": name,
                        "index": index,
                        "split": t,
                        "ids": ids,
                        "budget": budget,
                        "clip": clip,
                        "diameter": diameter,
                        "device": str(device),
                        "seed": derive_seed(root_seed, key, t, "hsj", name, index),
                    }
                )
    workers = min(max(1, int(threads)), len(tasks)) if device.type == "cpu" else 1
    log.info("%d HopSkipJump runs (one per model) on %d worker(s)", len(tasks), workers)
    if workers == 1:
        frames = []
        for i, task in enumerate(tasks, start=1):
            frame, summary = _attack({**task, "progress": True})
            log.info("[%d/%d] %s", i, len(tasks), summary)
            frames.append(frame)
    else:
        frames = _in_workers(tasks, workers)
    write_parquet(pd.concat(frames, ignore_index=True), out)


def _domain(d) -> tuple[tuple[float, float], float]:
    """The input domain: (min, max) over every feature value of the dataset (public
    knowledge: the attack queries must look like inputs, not membership
    information) and the diameter of that box."""
    x_all = d.features()
    clip = (float(x_all.min()), float(x_all.max()))
    return clip, math.sqrt(int(np.prod(x_all.shape[1:]))) * (clip[1] - clip[0])


def _in_workers(tasks: list[dict[str, Any]], workers: int) -> list[pd.DataFrame]:
    """Every task's rows, in task order, from ``workers`` processes; the runs with
    the most points start first (fewer idle workers at the end)."""
    ctx = multiprocessing.get_context("spawn")
    frames: dict[int, pd.DataFrame] = {}
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=setup_torch, initargs=(1,)
    ) as pool:
        order = sorted(range(len(tasks)), key=lambda i: -len(tasks[i]["ids"]))
        futures = {pool.submit(_attack, {**tasks[i], "progress": False}): i for i in order}
        for done, future in enumerate(as_completed(futures), start=1):
            frames[futures[future]], summary = future.result()
            log.info("[%d/%d] %s", done, len(tasks), summary)
    return [frames[i] for i in range(len(tasks))]


def _model_indices(path: str, device: str) -> list[tuple[int, int]]:
    """(split, index) of every model in a model file, in file order."""
    return [(int(e["split"]), int(e["index"])) for e in _loaded("models", path, device)]
