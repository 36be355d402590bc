"""Source ``sklearn_breast_cancer``."""

from __future__ import annotations

import numpy as np

from diffcal.data.prepared import Prepared
from diffcal.data.source import Source
from diffcal.data.sources.tabular import standardize

SOURCES = [Source("sklearn_breast_cancer", loader="load_breast_cancer", size=569)]


def load_breast_cancer(data_dir: str | None = None) -> Prepared:
    """scikit-learn's Wisconsin breast cancer set: 569 x 30 numeric, 2 classes.
    Ships with scikit-learn; ``data_dir`` is unused."""
    from sklearn.datasets import load_breast_cancer as _load

    bunch = _load()
    return Prepared(x=standardize(bunch.data), y=bunch.target.astype(np.int64), num_classes=2)
