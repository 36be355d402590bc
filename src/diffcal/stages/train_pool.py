"""Stage ``train_pool``: the reference pool of the LiRA / RMIA comparison
(``compare`` section of the config; docs/comparison.md).

Per split, the *candidates* are the target's evaluation samples (``member`` +
``nonmember``, see :mod:`diffcal.data.splits`). ``M`` pool references each train, with
the target's recipe, on half of the candidates, so that every candidate is IN for
half of them (:func:`diffcal.attacks.pool_membership.pool_membership`: complementary
pairs, drawn from one seed per split). Online attacks use IN and OUT references,
offline attacks and this paper's calibration the OUT ones of the same pool.

A job trains one *chunk* of the pool (``models_per_job`` models per split, all by
default; one file per chunk, entries ``role="pool"``, ``index`` j), so a cluster
spreads a large pool over many jobs. The membership matrix is a pure function of
the split and the seed (:func:`diffcal.attacks.pool_membership.membership_of`);
``score_pool`` writes it as ``membership.parquet``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from diffcal.attacks.pool_membership import membership_of
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import chunk_indices, fit_all
from diffcal.training.model_files import model_spec, new_model, save_models
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_train_pool(
    *,
    data: str,
    split: str,
    models: str,
    seeds: Mapping[str, Any],
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    references: int,
    chunk: str | None = None,
    threads: int = 1,
) -> None:
    """Train pool models ``chunk`` (``"first-last"`` of ``references``, None = all)
    for every split of the part (models of one shape train together,
    :mod:`diffcal.training.stacked`) and save them. A model's seed and training
    samples depend on its split and index alone, so how the pool is cut into
    chunks changes no model."""
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    indices = chunk_indices(chunk, references, "pool")
    d = load_prepared(data)
    spec = model_spec(d, model_cfg)
    jobs = []
    for t, sp in read_splits(split).items():
        candidates = ids_with_role(sp, "member", "nonmember")
        is_in = membership_of(t, candidates, references, root_seed=root_seed, key=dataset)
        for j in indices:
            seed = derive_seed(root_seed, dataset, t, "pool", j)
            jobs.append(
                {
                    "model": new_model(spec, seed),
                    "seed": seed,
                    "name": f"split{t} pool{j}",
                    "train_ids": candidates[is_in[j]],
                    "test_ids": candidates[~is_in[j]],
                    "meta": {"split": t, "role": "pool", "index": j},
                }
            )
    log.info(
        "training %d pool references (%d per split: %s of %d)",
        len(jobs),
        len(indices),
        chunk or "all",
        references,
    )
    entries = fit_all(d, jobs, recipe=recipe, device=device)
    save_models(models, spec, entries)
