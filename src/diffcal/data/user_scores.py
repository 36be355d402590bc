"""Just your scores: per-sample losses of your target and of reference models
trained outside diffcal (any model family), read for an audit (``audits`` in the
config; :mod:`diffcal.stages.audit_scores`).

Files (CSV, TSV or Parquet), one row per sample:

- ``target``: ``sample_id`` (integer, unique) and ``loss`` (the target's
  cross-entropy on the sample's true label, ``-log p_y``), optionally ``correct``
  (bool: the target's prediction was right; gives the report's train / test
  accuracy) and ``population`` (bool: a sample that is neither a member nor an
  audited non-member, used only as RMIA's population).
- each of ``references``: ``sample_id`` and ``loss`` of one reference model on at
  least every sample of the target file, optionally ``is_in`` (bool: that reference
  trained on the sample; online LiRA needs IN and OUT references). Without
  ``is_in`` a reference is taken as OUT for every sample (trained on other data
  from the same distribution, as the paper's references are).
- ``members``: the sample ids the target trained on (one per line, ``.npy`` or a
  Parquet ``sample_id`` column; :func:`diffcal.data.members.read_members`
  reads the same formats). Every other non-population row of the target file is a
  non-member.

Pure pandas: an audit of scores never imports torch. Every problem is one
ValueError line that names the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.data.sources.table import read_file

TARGET_OPTIONAL = ("correct", "population")
REFERENCE_OPTIONAL = ("is_in",)


@dataclass(frozen=True)
class UserScores:
    """The audit's arrays, aligned on ``sample_id`` (sorted): ``n`` samples (members,
    non-members and population), ``m`` references."""

    sample_id: np.ndarray  # (n,) int64
    target_loss: np.ndarray  # (n,) float64
    ref_loss: np.ndarray  # (m, n) float64
    is_in: np.ndarray  # (m, n) bool
    is_member: np.ndarray  # (n,) bool
    population: np.ndarray  # (n,) bool
    correct: np.ndarray | None  # (n,) bool, or None when not given


def read_scores_file(path: str | os.PathLike, optional: Sequence[str]) -> pd.DataFrame:
    """One score file as a frame sorted by ``sample_id``: ``sample_id`` (int64),
    ``loss`` (float64) and the ``optional`` columns it has (bool)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"scores file {path} does not exist")
    frame = read_file(p)
    missing = [c for c in ("sample_id", "loss") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"scores file {path}: no column {missing[0]!r} (has {list(frame.columns)})"
        )
    ids = pd.to_numeric(frame["sample_id"], errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(ids)) or not np.all(ids == np.round(ids)):
        raise ValueError(f"scores file {path}: sample_id must be integers")
    loss = pd.to_numeric(frame["loss"], errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(loss)) or (loss < 0).any():
        raise ValueError(f"scores file {path}: loss must be finite and >= 0 (a cross-entropy)")
    out = pd.DataFrame({"sample_id": ids.astype(np.int64), "loss": loss})
    for col in optional:
        if col in frame.columns:
            values = frame[col]
            if values.dtype != bool:
                if not values.isin([0, 1]).all():
                    raise ValueError(f"scores file {path}: column {col!r} must be boolean (0/1)")
                values = values.astype(bool)
            out[col] = values.to_numpy(bool)
    if np.all(ids[1:] > ids[:-1]):  # already sorted, so no id is repeated
        return out
    dup = out["sample_id"].duplicated()
    if dup.any():
        raise ValueError(
            f"scores file {path}: sample_id {int(out['sample_id'][dup].iloc[0])} is repeated"
        )
    return out.sort_values("sample_id", kind="stable").reset_index(drop=True)


def load_user_scores(
    target: str, references: Sequence[str], members: np.ndarray, members_path: str = "members"
) -> UserScores:
    """The audit's arrays from the target's score file, the references' files and the
    member ids (:func:`diffcal.data.members.read_members`)."""
    t = read_scores_file(target, TARGET_OPTIONAL)
    ids = t["sample_id"].to_numpy()
    population = t["population"].to_numpy(bool) if "population" in t else np.zeros(len(t), bool)
    members = np.asarray(members, dtype=np.int64)
    unknown = np.setdiff1d(members, ids)
    if len(unknown):
        raise ValueError(
            f"members file {members_path}: sample id {int(unknown[0])} is not in {target}"
        )
    is_member = np.isin(ids, members)
    if (is_member & population).any():
        bad = int(ids[is_member & population][0])
        raise ValueError(f"{target}: sample {bad} is a member and marked population")
    n_non = int((~is_member & ~population).sum())
    if n_non == 0:
        raise ValueError(f"{target}: every audited sample is a member; no non-members to compare")
    if not references:
        raise ValueError("scores.references: give at least one reference model's scores")
    # filled row by row: one (m, n) array, not m arrays and their stack
    ref_loss = np.empty((len(references), len(ids)), np.float64)
    is_in = np.zeros((len(references), len(ids)), bool)
    for j, path in enumerate(references):
        r = read_scores_file(path, REFERENCE_OPTIONAL)
        if not np.array_equal(r["sample_id"].to_numpy(), ids):  # the target's rows only
            r = r[r["sample_id"].isin(ids)]
        if len(r) != len(ids):
            gone = np.setdiff1d(ids, r["sample_id"].to_numpy())
            raise ValueError(f"scores file {path}: no row for sample_id {int(gone[0])} of {target}")
        ref_loss[j] = r["loss"].to_numpy(np.float64)
        if "is_in" in r:
            is_in[j] = r["is_in"].to_numpy(bool)
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # the files' buffers: read and copied
    return UserScores(
        sample_id=ids,
        target_loss=t["loss"].to_numpy(np.float64),
        ref_loss=ref_loss,
        is_in=is_in,
        is_member=is_member,
        population=population,
        correct=t["correct"].to_numpy(bool) if "correct" in t else None,
    )
