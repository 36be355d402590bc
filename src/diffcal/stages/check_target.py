"""Stage ``check_target``: a given target (``target: {checkpoint, ...}``) is checked
against its own members before any split, training or attack job of its dataset:
if it classifies them no better than their most common class, it was almost
surely fed an encoding it was not trained on, and the run stops with one line
naming the encoding contract (:func:`diffcal.training.checkpoint.check_fits_its_members`)
unless the target's ``allow_weak`` is set.

Output: ``target_check.json`` (``members``, ``member_accuracy``, ``majority_rate``,
``p_value``, ``fits``), written only when the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from diffcal.core.io import write_json
from diffcal.data.members import member_rows
from diffcal.data.prepared import load_prepared
from diffcal.training.checkpoint import (
    check_fits_its_members,
    fits_its_members,
    load_checkpoint,
    load_into,
)
from diffcal.training.model_files import model_spec, new_model
from diffcal.training.train import accuracy, setup_torch

log = logging.getLogger("diffcal")


def run_check_target(
    *,
    data: str,
    checkpoint: str,
    out: str,
    model_cfg: Mapping[str, Any],
    target_key: str,
    members: str | None = None,
    allow_weak: bool = False,
    threads: int = 1,
) -> None:
    setup_torch(threads)
    d = load_prepared(data)
    rows = member_rows(d, members, where=data)
    model = load_into(
        new_model(model_spec(d, model_cfg), 0), load_checkpoint(checkpoint), checkpoint
    )
    acc = accuracy(model, d.features(rows), d.y[rows])
    fits, p, majority = fits_its_members(acc, d.y[rows])
    log.info(
        "%s: accuracy %.4f on its %d members (most common class %.4f, p = %.3g)",
        checkpoint,
        acc,
        len(rows),
        majority,
        p,
    )
    if not allow_weak:
        check_fits_its_members(acc, d.y[rows], where=target_key)
    write_json(
        out,
        {
            "members": len(rows),
            "member_accuracy": acc,
            "majority_rate": majority,
            "p_value": p,
            "fits": bool(fits),
        },
    )
