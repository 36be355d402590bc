"""Stage ``score_pool``: per-sample outputs of the target and of every pool
reference (:mod:`diffcal.stages.train_pool`, read from all its chunk files) for the
LiRA / RMIA comparison, and the pool's membership matrix (``membership.parquet``:
``split`` int16, ``ref`` int16, ``sample_id`` int32, ``is_in`` bool, sorted by
split, ref, sample_id).

Scored samples, per split: the candidates (``member`` + ``nonmember``) and the
*population*: up to ``population`` public samples (roles ``reference``,
``shadow_in``, ``shadow_out``; drawn from one seed per split) that neither the
target nor a pool reference trained on; RMIA compares each candidate with them.

Schema of ``pool_scores.parquet`` (sorted by split, model, ref, sample_id):

| column     | dtype   | meaning                                                  |
|------------|---------|----------------------------------------------------------|
| split      | int16   | split index t                                            |
| model      | string  | ``target`` or ``pool``                                   |
| ref        | int16   | pool reference index j (0 for the target)                |
| sample_id  | int32   | row of the dataset                                       |
| label      | int16   | true label y                                             |
| population | bool    | a population sample (else a candidate)                   |
| loss       | float64 | cross-entropy ``-log p_y`` (RMIA uses ``p_y = e^-loss``) |
| lira_stat  | float64 | ``log(p_y / (1 - p_y))`` from the logits (LiRA)          |
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from diffcal.attacks.model_samples import key_columns
from diffcal.attacks.pool_membership import membership_frame, membership_of
from diffcal.attacks.reference import logit_confidence
from diffcal.core.io import parquet_stream
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits, subsample
from diffcal.training.model_files import load_models
from diffcal.training.train import image_batch, image_layout, setup_torch

log = logging.getLogger("diffcal")


@torch.no_grad()
def logits_of(model: torch.nn.Module, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``(n, C)`` float64 logits of ``model`` (eval mode) on ``x`` ``(n, ...)``."""
    model.eval()
    device = next(model.parameters()).device
    image_layout(model, np.ndim(x))
    out = []
    for start in range(0, len(x), batch_size):
        xb = torch.as_tensor(x[start : start + batch_size], dtype=torch.float32, device=device)
        out.append(model(image_batch(xb)).double().cpu().numpy())
    return np.concatenate(out)


def population_ids(sp: pd.DataFrame, size: int, seed: int) -> np.ndarray:
    """Up to ``size`` public samples (sorted)."""
    pool = ids_with_role(sp, "reference", "shadow_in", "shadow_out")
    return subsample(pool, min(size, len(pool)), seed=seed)


def run_score_pool(
    *,
    data: str,
    split: str,
    target: str,
    models: Sequence[str],
    out: str,
    membership: str,
    seeds: dict,
    population: int,
    references: int,
    batch_size: int = 512,
    threads: int = 1,
) -> None:
    """Score the target and the pool (``models``: the pool's chunk files in chunk
    order, every reference once) and write the pool's membership matrix.

    Streams: per split, each chunk file is loaded in turn and each model's rows are
    written as they are scored (one row group each, already in the file's order),
    so memory holds one chunk's models and one model's outputs, whatever the size of
    the pool. A part with several splits reads each chunk file once per split."""
    device = setup_torch(threads)
    d = load_prepared(data)
    targets = load_models(target, device=device)[1]
    with parquet_stream(out) as scores, parquet_stream(membership) as members:
        for t, sp in read_splits(split).items():
            cand = ids_with_role(sp, "member", "nonmember")
            pop = population_ids(
                sp, population, derive_seed(seeds["root_seed"], seeds["key"], t, "population")
            )
            rows = _Rows(d, t, cand, pop, batch_size)
            # "pool" sorts before "target": the pool's rows come first
            seen = _write_pool(scores, rows, models, t, device)
            if seen != list(range(references)):
                raise ValueError(
                    f"split {t}: the pool files hold references {seen}, "
                    f"expected 0..{references - 1}"
                )
            for e in sorted((e for e in targets if int(e["split"]) == t), key=lambda e: e["index"]):
                scores.write(rows("target", e))
            is_in = membership_of(
                t, cand, references, root_seed=seeds["root_seed"], key=seeds["key"]
            )
            members.write(membership_frame(t, cand, is_in))
            log.info(
                "split %d: scored %d pool model(s) and the target on %d candidates + %d population",
                t,
                len(seen),
                len(cand),
                len(pop),
            )


class _Rows:
    """The scored rows of one model on split ``t``'s candidates and population, in
    the file's order (by sample_id)."""

    def __init__(self, d, t: int, cand: np.ndarray, pop: np.ndarray, batch_size: int) -> None:
        self.t, self.batch_size = t, batch_size
        self.ids = np.concatenate([cand, pop])
        self.order = np.argsort(self.ids, kind="stable")
        self.x, self.y = d.features(self.ids), d.y[self.ids]
        self.is_pop = np.r_[np.zeros(len(cand), bool), np.ones(len(pop), bool)]

    def __call__(self, name: str, e: dict) -> pd.DataFrame:
        y = self.y
        z = logits_of(e["model"], self.x, self.batch_size)
        loss = -F.log_softmax(torch.from_numpy(z), dim=1)[np.arange(len(y)), y].numpy()
        df = pd.DataFrame(
            {
                **key_columns(self.t, name, e["index"], self.ids, y),
                "population": self.is_pop,
                "loss": loss,
                "lira_stat": logit_confidence(z, y),
            }
        )
        return df.iloc[self.order].reset_index(drop=True)


def _write_pool(scores, rows: _Rows, models: Sequence[str], t: int, device) -> list[int]:
    """Write split ``t``'s rows of every pool reference, chunk file by chunk file
    (one in memory at a time); returns the reference indices in the order written."""
    seen: list[int] = []
    for path in models:
        mine = sorted(
            (e for e in load_models(path, device=device)[1] if int(e["split"]) == t),
            key=lambda e: e["index"],
        )
        for e in mine:
            if seen and int(e["index"]) <= seen[-1]:
                raise ValueError(
                    f"{path}: pool reference {e['index']} of split {t} "
                    f"comes after reference {seen[-1]}"
                )
            seen.append(int(e["index"]))
            scores.write(rows("pool", e))
        del mine
    return seen
