"""The prepared-data file format (``data.npz``) every training and scoring stage reads.

- ``x``: ``(n, ...)`` features; float32 for tabular sets, uint8 for images
  (``(n, C, H, W)``), to be divided by ``x_scale`` before use;
- ``y``: ``(n,)`` int64 labels in ``0..C-1``;
- ``x_scale``: scalar float;
- ``num_classes``: scalar int;
- ``ids`` (only when the source has them, e.g. a table's ``id`` column): ``(n,)``
  int64, the user's id of each row;
- ``members`` (only when the source has them, a table's ``member_column``):
  ``(n,)`` bool, the rows a given target trained on.

Sample ids are row positions in this file; they are stable across every model and
every split of a dataset. Kept apart from the loaders (:mod:`diffcal.data.sources`) so
that editing a loader reruns only the jobs of the datasets it loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from diffcal.core.io import atomic_path


@dataclass(frozen=True)
class Prepared:
    """A prepared dataset. ``x``: ``(n, ...)``, ``y``: ``(n,)`` int64."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    x_scale: float = 1.0
    ids: np.ndarray | None = None
    members: np.ndarray | None = None
    #: names of the ``d`` feature columns, where the source knows them (``table``);
    #: not saved in data.npz
    feature_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)}")
        if self.y.min() < 0 or self.y.max() >= self.num_classes:
            raise ValueError(f"labels must lie in 0..{self.num_classes - 1}")
        if self.ids is not None and len(self.ids) != len(self.y):
            raise ValueError(f"ids has {len(self.ids)} rows but y has {len(self.y)}")

    @property
    def n(self) -> int:
        return len(self.y)

    def features(self, idx: np.ndarray | None = None) -> np.ndarray:
        """float32 features of rows ``idx`` (all rows if None), scaled."""
        x = self.x if idx is None else self.x[idx]
        return x.astype(np.float32) / np.float32(self.x_scale)


def save_prepared(data: Prepared, path: str | os.PathLike) -> None:
    """Write ``data`` to ``path`` (npz, uncompressed, atomically)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            # ``ids`` only when present: files of sources without ids keep their bytes.
            extra = {} if data.ids is None else {"ids": np.asarray(data.ids, np.int64)}
            if data.members is not None:
                extra["members"] = np.asarray(data.members, bool)
            np.savez(
                fh,
                x=data.x,
                y=data.y,
                num_classes=np.int64(data.num_classes),
                x_scale=np.float64(data.x_scale),
                **extra,
            )


def load_prepared(path: str | os.PathLike) -> Prepared:
    with np.load(path, allow_pickle=False) as f:
        return Prepared(
            x=f["x"],
            y=f["y"],
            num_classes=int(f["num_classes"]),
            x_scale=float(f["x_scale"]),
            ids=f["ids"] if "ids" in f.files else None,
            members=f["members"] if "members" in f.files else None,
        )
