"""Stage ``split``: the prepared data -> the member / non-member / public roles of
every split of a part (split.parquet)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.core.io import write_parquet
from diffcal.data.members import member_rows
from diffcal.data.registry import load_prepared
from diffcal.data.splits import ROLES, split_of

log = logging.getLogger("diffcal")


def run_split(
    *,
    data: str,
    out: str,
    root_seed: int,
    dataset: str,
    splits: Sequence[int],
    cfg: Mapping[str, Any],
    members: str | None = None,
    members_in_data: bool = False,
) -> None:
    """Write the splits ``splits`` of one part to ``out``: columns ``split`` (int16),
    ``sample_id`` (int32), ``role`` (string), sorted by split then sample id.
    ``cfg``: the dataset's ``split`` section plus the variant's ``train_size``.
    ``members``: the given target's members file (every split keeps them);
    ``members_in_data``: they are the data's ``members`` column instead (a table's
    ``member_column``)."""
    d = load_prepared(data)
    n = d.n
    ids = None
    if members or members_in_data:
        ids = member_rows(d, members, where=data)
        log.info("%d members from %s", len(ids), members or "the data's member column")
    frames = []
    for t in splits:
        df = split_of(n, root_seed=root_seed, dataset=dataset, split_index=t, members=ids, **cfg)
        counts = df["role"].value_counts()
        log.info("split %d: %s", t, {r: int(counts.get(r, 0)) for r in ROLES})
        frames.append(df.assign(split=np.int16(t))[["split", "sample_id", "role"]])
    write_parquet(pd.concat(frames, ignore_index=True), out)
