"""Sources ``cifar10_subset``, ``cifar10``, ``cifar100`` (one module: one image format)."""

from __future__ import annotations

import numpy as np

from diffcal.data.fetch import DataUnavailableError, RemoteFile, fetch, resolve_data_dir
from diffcal.data.prepared import Prepared
from diffcal.data.source import Source

SOURCES = [
    Source("cifar10_subset", loader="load_cifar10_subset", size=5000),
    Source("cifar10", loader="load_cifar10", size=60000),
    Source("cifar100", loader="load_cifar100", size=60000),
]

CIFAR10_SUBSET = RemoteFile(
    "cifar10-subset/cifar10_subset.npz",
    None,  # built for this project's tests; see shared/data/README.md
    "abffeac4d5ef1b8f12a5b644cd89da19d70ac35f85e7a451d2a50aac7cbd9c74",
)


def load_cifar10_subset(data_dir: str | None = None) -> Prepared:
    """SUBSET of CIFAR-10: 4,000 train + 1,000 test images (3, 32, 32), 10 classes
    (``shared/data/cifar10-subset``). Not the paper's dataset: results on it are
    labelled as a subset everywhere."""
    with np.load(fetch(CIFAR10_SUBSET, data_dir), allow_pickle=False) as f:
        x = np.concatenate([f["x_train"], f["x_test"]]).transpose(0, 3, 1, 2)
        y = np.concatenate([f["y_train"], f["y_test"]]).astype(np.int64)
    return Prepared(x=np.ascontiguousarray(x), y=y, num_classes=10, x_scale=255.0)


def _torchvision_cifar(cls_name: str, num_classes: int, data_dir: str | None) -> Prepared:
    """Full CIFAR-10/100 (train + test = 60,000 images) through torchvision, which
    downloads into ``data_dir`` and md5-checks the archive."""
    import torchvision

    cls = getattr(torchvision.datasets, cls_name)
    root = resolve_data_dir(data_dir)
    try:
        parts = [cls(root=str(root), train=t, download=True) for t in (True, False)]
    except (OSError, RuntimeError) as err:
        raise DataUnavailableError(
            f"{cls_name} is not under {root} and torchvision could not download it ({err}); "
            f"without network, put the extracted python batches under {root}"
        ) from err
    x = np.concatenate([p.data for p in parts]).transpose(0, 3, 1, 2)
    y = np.concatenate([np.asarray(p.targets) for p in parts]).astype(np.int64)
    return Prepared(x=np.ascontiguousarray(x), y=y, num_classes=num_classes, x_scale=255.0)


def load_cifar10(data_dir: str | None = None) -> Prepared:
    """Full CIFAR-10 (60,000 images, 10 classes) via torchvision."""
    return _torchvision_cifar("CIFAR10", 10, data_dir)


def load_cifar100(data_dir: str | None = None) -> Prepared:
    """Full CIFAR-100 (60,000 images, 100 fine classes) via torchvision."""
    return _torchvision_cifar("CIFAR100", 100, data_dir)
