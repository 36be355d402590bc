"""Stage ``compare_attack``: every attack of the comparison at every reference
budget M, per split of a part (:mod:`diffcal.attacks.compare`). Reads only scores: adding
an attack or a budget trains and scores no model.

Outputs:

- ``compare_scores.parquet``: ``split`` (int16), ``budget`` (int16), ``attack``
  (string), ``sample_id`` (int32), ``member`` (bool), ``score`` (float64), sorted
  by split, budget, attack (config order), sample_id;
- ``compare_metrics.csv``: one row per (split, budget, attack): ``auc``,
  ``tpr_at_<fpr>`` for every FPR level, and ``epsilon_lb``: the lower bound on
  epsilon (delta 1e-5) by the ``privacy_bound`` strategy (``split``: thresholds
  chosen on a seeded half of the candidates, errors counted on the other half).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.compare import (
    pool_attack_metrics,
    pool_outputs,
    run_attacks,
    selection_half,
)
from diffcal.attacks.plugins import load_plugins
from diffcal.core.io import write_csv, write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.stages import optional_file

log = logging.getLogger("diffcal")


def run_compare_attack(
    *,
    scores: str,
    membership: str,
    split: str,
    out_scores: str,
    out_metrics: str,
    attacks: Sequence[str],
    budgets: Sequence[int],
    rmia: Mapping[str, float],
    fpr_levels: Sequence[float],
    seeds: Mapping[str, Any],
    bound: Mapping[str, Any] | None = None,
    quantile: str | Sequence[str] | None = None,
    extra: Sequence[str] = (),
) -> None:
    """``quantile``: the part's ``quantile_scores.parquet`` (an optional input: given
    when the quantile attack is among ``attacks``); ``bound``: the ``privacy_bound``
    config section (its strategy's random splits are seeded per split); ``extra``:
    the attack plugins (``attack.extra``), scored after ``attacks``."""
    plugins = load_plugins(extra)
    sc, mem = pd.read_parquet(scores), pd.read_parquet(membership)
    q = optional_file(quantile)
    qs = pd.read_parquet(q) if q else None
    frames, rows = [], []
    for t, sp in read_splits(split).items():
        ids, o = pool_outputs(sc[sc["split"] == t], mem[mem["split"] == t])
        member = np.isin(ids, ids_with_role(sp, "member"))
        bound_seed = derive_seed(seeds["root_seed"], seeds["key"], t, "bound")
        sel = selection_half(len(ids), bound_seed)
        external = _quantile_scores(qs, q, t, ids)
        for (m, a), s in run_attacks(o, attacks, budgets, rmia, external, plugins, ids).items():
            frames.append(
                pd.DataFrame(
                    {
                        "split": np.full(len(ids), t, np.int16),
                        "budget": np.full(len(ids), m, np.int16),
                        "attack": pd.array([a] * len(ids), dtype="string"),
                        "sample_id": ids.astype(np.int32),
                        "member": member,
                        "score": s,
                    }
                )
            )
            rows.append(
                {
                    "split": t,
                    "budget": m,
                    "attack": a,
                    **pool_attack_metrics(member, s, fpr_levels, sel, bound, bound_seed),
                }
            )
            if m == max(budgets):
                log.info("split %d M=%d %-20s AUC %.4f", t, m, a, rows[-1]["auc"])
    write_parquet(pd.concat(frames, ignore_index=True), out_scores)
    write_csv(pd.DataFrame(rows), out_metrics)


def _quantile_scores(qs: pd.DataFrame | None, path, t: int, ids: np.ndarray) -> dict:
    """``{"quantile": (n,) scores}`` of split ``t`` from the quantile stage's file
    (empty without one); its candidates must be the pool's ``ids``."""
    if qs is None:
        return {}
    qt = qs[qs["split"] == t]
    if not np.array_equal(qt["sample_id"].to_numpy(), ids):
        raise ValueError(f"{path}: split {t} scores other candidates than the pool")
    return {"quantile": qt["score"].to_numpy()}
