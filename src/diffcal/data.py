"""Dataset sources and the prepared-data file format.

A *source* is a function ``(data_dir) -> Prepared`` registered in :data:`SOURCES`.
The prepared data of a dataset is written once per dataset to ``data.npz``:

- ``x``: ``(n, ...)`` features; float32 for tabular sets, uint8 for images
  (``(n, C, H, W)``), to be divided by ``x_scale`` before use;
- ``y``: ``(n,)`` int64 labels in ``0..C-1``;
- ``x_scale``: scalar float;
- ``num_classes``: scalar int.

Sample ids are row positions in this file; they are stable across every model and
every split of a dataset.

Tabular preprocessing: numeric columns are standardised with the mean and standard
deviation of the *whole* dataset. This is a fixed, label-free transform applied
identically to members, non-members and public samples, so it cannot make members
look different from non-members (fitting it on the target's members only would).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from diffcal.io import atomic_path


@dataclass(frozen=True)
class Prepared:
    """A prepared dataset. ``x``: ``(n, ...)``, ``y``: ``(n,)`` int64."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    x_scale: float = 1.0

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)}")
        if self.y.min() < 0 or self.y.max() >= self.num_classes:
            raise ValueError(f"labels must lie in 0..{self.num_classes - 1}")

    @property
    def n(self) -> int:
        return len(self.y)

    def features(self, idx: np.ndarray | None = None) -> np.ndarray:
        """float32 features of rows ``idx`` (all rows if None), scaled."""
        x = self.x if idx is None else self.x[idx]
        return (x.astype(np.float32) / np.float32(self.x_scale)).astype(np.float32)


def standardize(x: np.ndarray) -> np.ndarray:
    """Standardise columns with whole-dataset statistics (see module docstring).
    Constant columns become 0. ``x``: ``(n, d)`` -> ``(n, d)`` float32."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return ((x - mean) / std).astype(np.float32)


def load_breast_cancer(data_dir: str | None = None) -> Prepared:
    """scikit-learn's Wisconsin breast cancer set: 569 x 30 numeric, 2 classes.
    Ships with scikit-learn; ``data_dir`` is unused."""
    from sklearn.datasets import load_breast_cancer as _load

    bunch = _load()
    return Prepared(x=standardize(bunch.data), y=bunch.target.astype(np.int64), num_classes=2)


def load_digits(data_dir: str | None = None) -> Prepared:
    """scikit-learn's 8x8 digits: 1,797 images (1, 8, 8) with values 0..16, 10
    classes. Ships with scikit-learn; ``data_dir`` is unused."""
    from sklearn.datasets import load_digits as _load

    bunch = _load()
    x = bunch.images.astype(np.uint8)[:, None, :, :]
    return Prepared(x=x, y=bunch.target.astype(np.int64), num_classes=10, x_scale=16.0)


#: Registry: source name -> loader. Keep in sync with the config schema's enum
#: (a test checks it).
SOURCES: dict[str, Callable[[str | None], Prepared]] = {
    "sklearn_breast_cancer": load_breast_cancer,
    "sklearn_digits": load_digits,
}


def prepare(source: str, data_dir: str | None = None) -> Prepared:
    """Load and preprocess ``source`` (a key of :data:`SOURCES`)."""
    try:
        loader = SOURCES[source]
    except KeyError:
        raise ValueError(f"unknown data source {source!r}; allowed: {sorted(SOURCES)}") from None
    return loader(data_dir)


def save_prepared(data: Prepared, path: str | os.PathLike) -> None:
    """Write ``data`` to ``path`` (npz, uncompressed, atomically)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                x=data.x,
                y=data.y,
                num_classes=np.int64(data.num_classes),
                x_scale=np.float64(data.x_scale),
            )


def load_prepared(path: str | os.PathLike) -> Prepared:
    with np.load(path, allow_pickle=False) as f:
        return Prepared(
            x=f["x"],
            y=f["y"],
            num_classes=int(f["num_classes"]),
            x_scale=float(f["x_scale"]),
        )
