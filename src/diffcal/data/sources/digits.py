"""Source ``sklearn_digits``."""

from __future__ import annotations

import numpy as np

from diffcal.data.prepared import Prepared
from diffcal.data.source import Source

SOURCES = [Source("sklearn_digits", loader="load_digits", size=1797)]


def load_digits(data_dir: str | None = None) -> Prepared:
    """scikit-learn's 8x8 digits: 1,797 images (1, 8, 8) with values 0..16, 10
    classes. Ships with scikit-learn; ``data_dir`` is unused."""
    from sklearn.datasets import load_digits as _load

    bunch = _load()
    x = bunch.images.astype(np.uint8)[:, None, :, :]
    return Prepared(x=x, y=bunch.target.astype(np.int64), num_classes=10, x_scale=16.0)
