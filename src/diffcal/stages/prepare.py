"""Stage ``prepare``: raw data (a built-in source or your own file) -> data.npz."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from diffcal.data.registry import prepare, save_prepared

log = logging.getLogger("diffcal")


def run_prepare(
    *, source: str, data_dir: str | None, out: str, source_kwargs: Mapping[str, Any] | None = None
) -> None:
    data = prepare(source, data_dir, **(source_kwargs or {}))
    log.info(
        "prepared %s: %d samples, x %s, %d classes, label counts %s",
        source,
        data.n,
        data.x.shape,
        data.num_classes,
        np.bincount(data.y).tolist(),
    )
    save_prepared(data, out)
