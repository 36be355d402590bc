"""Source ``mnist``."""

from __future__ import annotations

import gzip
import os

import numpy as np

from diffcal.data.fetch import RemoteFile, fetch
from diffcal.data.prepared import Prepared
from diffcal.data.source import Source

SOURCES = [Source("mnist", loader="load_mnist", size=70000)]

MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist"  # torchvision's first mirror
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a (gzipped) IDX file of uint8 values: big-endian header, then data."""
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of uint8")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(data_dir: str | None = None) -> Prepared:
    """MNIST, train (60,000) + test (10,000) = 70,000 images (1, 28, 28), 10 classes.
    Reads the torchvision-layout ``MNIST/raw/*.gz`` files (sha256-checked),
    downloading them from torchvision's mirror when missing."""

    def get(name):
        return read_idx(
            fetch(
                RemoteFile(f"MNIST/raw/{name}", f"{MNIST_MIRROR}/{name}", MNIST_FILES[name]),
                data_dir,
            )
        )

    x = np.concatenate([get("train-images-idx3-ubyte.gz"), get("t10k-images-idx3-ubyte.gz")])
    y = np.concatenate([get("train-labels-idx1-ubyte.gz"), get("t10k-labels-idx1-ubyte.gz")])
    return Prepared(x=x[:, None], y=y.astype(np.int64), num_classes=10, x_scale=255.0)
