"""The label-only attack's query budget check, apart from :mod:`diffcal.attacks.hsj`
so that the config check (run while Snakemake parses) does not import torch."""

from __future__ import annotations

import numpy as np


def check_budget(max_iter: int, max_eval: int, init_eval: int, init_size: int) -> None:
    """Raise ValueError unless every query-budget setting is a positive integer
    and ``init_eval <= max_eval``."""
    for name, v in (
        ("max_iter", max_iter),
        ("max_eval", max_eval),
        ("init_eval", init_eval),
        ("init_size", init_size),
    ):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"HopSkipJump {name} must be a positive integer, got {v!r}")
    if init_eval > max_eval:
        raise ValueError(f"HopSkipJump init_eval ({init_eval}) exceeds max_eval ({max_eval})")
