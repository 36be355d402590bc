"""Stage ``attack``: scores.parquet + split.parquet -> attack_scores.parquet,
metrics.csv for every split of a part (both with a ``split`` column). The attacks
themselves are :mod:`diffcal.attacks.evaluate`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.evaluate import attack_split
from diffcal.core.io import write_csv, write_parquet
from diffcal.data.splits import read_splits
from diffcal.stats.bootstrap import replicate_seed, split_replicates


def run_attack(
    *,
    scores: str,
    split: str,
    out_scores: str,
    out_metrics: str,
    out_bootstrap: str,
    cfg: Mapping[str, Any],
    dataset: str,
    variant: str,
    label_only: str | None = None,
) -> None:
    """``cfg``: the config's ``attack`` section. Every split of the part is attacked
    on its own (its own threshold, its own metrics). ``label_only``: the part's
    label_only.parquet, if the label-only attack is on. ``out_bootstrap``: the
    bootstrap replicates of each split's table cells
    (:func:`diffcal.stats.bootstrap.split_replicates`), their resamples seeded
    from (``dataset``, ``variant``, split)."""
    sc_all = pd.read_parquet(scores)
    lo_all = pd.read_parquet(label_only) if label_only else None
    score_frames, metric_frames, boot_frames = [], [], []
    for t, sp in read_splits(split).items():
        sc = sc_all[sc_all["split"] == t]
        lo = None if lo_all is None else lo_all[lo_all["split"] == t]
        att, met = attack_split(sc, sp, cfg, split_index=t, lo=lo)
        score_frames.append(att.assign(split=np.int16(t))[["split", *att.columns]])
        metric_frames.append(met.assign(split=t)[["split", *met.columns]])
        boot_frames.append(
            split_replicates(sc, sp, att, met, split=t, seed=replicate_seed(dataset, variant, t))
        )
    write_parquet(pd.concat(score_frames, ignore_index=True), out_scores)
    write_csv(pd.concat(metric_frames, ignore_index=True), out_metrics)
    write_parquet(pd.concat(boot_frames, ignore_index=True), out_bootstrap)
