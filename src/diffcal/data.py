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

import gzip
import inspect
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diffcal.fetch import DataUnavailableError, RemoteFile, fetch, resolve_data_dir
from diffcal.io import atomic_path

log = logging.getLogger("diffcal")


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
        return x.astype(np.float32) / np.float32(self.x_scale)


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


# --------------------------------------------------------------------------- tabular

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
GERMAN = RemoteFile(
    "uci/statlog-german-credit/german.data",
    f"{UCI}/statlog/german/german.data",
    "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
)
HEPATITIS = RemoteFile(
    "uci/hepatitis/hepatitis.data",
    f"{UCI}/hepatitis/hepatitis.data",
    "9971f9d18abb4fc9dd6749eefb0f864b36fa7bdd59f54188c0b148a5c28214bc",
)
ADULT_TRAIN = RemoteFile(
    "uci/adult/adult.data",
    f"{UCI}/adult/adult.data",
    "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
)
ADULT_TEST = RemoteFile(
    "uci/adult/adult.test",
    f"{UCI}/adult/adult.test",
    "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
)


def encode_tabular(frame: pd.DataFrame, numeric: list, categorical: list) -> np.ndarray:
    """Numeric columns: missing values imputed with the column median plus a 0/1
    missing-indicator column (only for columns with missing values), then
    standardised (:func:`standardize`). Categorical columns: one-hot, with a missing
    value as a category of its own. Categories are sorted, so the encoding does not
    depend on row order. Returns ``(n, d)`` float32."""
    parts = []
    for col in numeric:
        v = pd.to_numeric(frame[col], errors="raise").astype(np.float64)
        missing = v.isna().to_numpy()
        parts.append(v.fillna(v.median()).to_numpy()[:, None])
        if missing.any():
            parts.append(missing.astype(np.float64)[:, None])
    num = standardize(np.hstack(parts)) if parts else np.zeros((len(frame), 0), np.float32)
    cats = []
    for col in categorical:
        v = frame[col].astype("string").fillna("<missing>").to_numpy(dtype=object)
        levels = np.array(sorted(set(v)), dtype=object)
        cats.append((v[:, None] == levels[None, :]).astype(np.float32))
    return np.hstack([num, *cats]).astype(np.float32)


def load_german_credit(data_dir: str | None = None) -> Prepared:
    """UCI Statlog German Credit (``german.data``): 1,000 x 20 attributes (7 numeric,
    13 categorical), label 1 = good -> 0 (700), 2 = bad -> 1 (300)."""
    df = pd.read_csv(fetch(GERMAN, data_dir), sep=" ", header=None)
    numeric = [1, 4, 7, 10, 12, 15, 17]
    categorical = [c for c in range(20) if c not in numeric]
    x = encode_tabular(df, numeric, categorical)
    return Prepared(x=x, y=(df[20].to_numpy() - 1).astype(np.int64), num_classes=2)


def load_hepatitis(data_dir: str | None = None) -> Prepared:
    """UCI Hepatitis: 155 x 19 attributes (6 numeric, 13 yes/no or sex), ``?`` =
    missing (167 cells); label 1 = DIE -> 0 (32), 2 = LIVE -> 1 (123)."""
    df = pd.read_csv(fetch(HEPATITIS, data_dir), header=None, na_values="?")
    numeric = [1, 14, 15, 16, 17, 18]  # age, bilirubin, alk phosphate, sgot, albumin, protime
    categorical = [c for c in range(2, 20) if c not in numeric]
    x = encode_tabular(df, numeric, categorical)
    return Prepared(x=x, y=(df[0].to_numpy() - 1).astype(np.int64), num_classes=2)


ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]  # fmt: skip


def load_adult(data_dir: str | None = None) -> Prepared:
    """UCI Adult: ``adult.data`` (32,561) + ``adult.test`` (16,281, first line is
    junk, labels end with '.') = 48,842 rows; 6 numeric, 8 categorical attributes,
    ``?`` = missing (a category of its own); label ``>50K`` -> 1 (11,687)."""
    kw = dict(header=None, names=ADULT_COLUMNS, skipinitialspace=True, na_values="?")
    df = pd.concat(
        [
            pd.read_csv(fetch(ADULT_TRAIN, data_dir), **kw),
            pd.read_csv(fetch(ADULT_TEST, data_dir), skiprows=1, **kw),
        ],
        ignore_index=True,
    )
    df = df.dropna(subset=["income"])
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    categorical = [c for c in ADULT_COLUMNS[:-1] if c not in numeric]
    y = df["income"].str.rstrip(".").map({"<=50K": 0, ">50K": 1})
    if y.isna().any():
        raise ValueError(f"unexpected Adult labels: {sorted(set(df['income'][y.isna()]))}")
    return Prepared(
        x=encode_tabular(df, numeric, categorical), y=y.to_numpy(np.int64), num_classes=2
    )


# --------------------------------------------------------------------------- images

MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist"  # torchvision's first mirror
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
}  # fmt: skip


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
        return read_idx(fetch(RemoteFile(f"MNIST/raw/{name}", f"{MNIST_MIRROR}/{name}",
                                         MNIST_FILES[name]), data_dir))  # fmt: skip

    x = np.concatenate([get("train-images-idx3-ubyte.gz"), get("t10k-images-idx3-ubyte.gz")])
    y = np.concatenate([get("train-labels-idx1-ubyte.gz"), get("t10k-labels-idx1-ubyte.gz")])
    return Prepared(x=x[:, None], y=y.astype(np.int64), num_classes=10, x_scale=255.0)


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


IMAGENET_TRAIN = "imagenet/train"
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".webp")


def _center_square(img, size: int) -> np.ndarray:
    """Resize a PIL image so that its shorter side is ``size`` (bilinear), crop the
    central ``size`` x ``size`` square; ``(3, size, size)`` uint8 (RGB)."""
    from PIL import Image

    img = img.convert("RGB")
    w, h = img.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    img = img.resize((nw, nh), Image.Resampling.BILINEAR)
    left, top = (nw - size) // 2, (nh - size) // 2
    img = img.crop((left, top, left + size, top + size))
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def load_imagefolder(root: str | os.PathLike, *, size: int = 64, max_per_class: int | None = None,
                     log_every: int = 10000) -> Prepared:  # fmt: skip
    """An ImageFolder tree ``root/<class>/<image>``: classes are the sorted
    sub-directory names (labels 0..C-1, as torchvision's ``ImageFolder``), images
    the files with an image suffix, sorted by name. Each image is resized (shorter
    side ``size``) and centre-cropped to ``(3, size, size)`` uint8, and the whole
    set is held in memory (ImageNet's train set at ``size=64``: 1,281,167 x 12,288
    bytes, 15.7 GB). ``max_per_class`` keeps the first images of each class."""
    from PIL import Image

    root = os.fspath(root)
    if not os.path.isdir(root):
        raise DataUnavailableError(
            f"image folder {root} does not exist; ImageNet cannot be downloaded "
            "automatically (its licence requires a login): download ILSVRC2012 train "
            f"from https://image-net.org and extract it to {root}/<wnid>/*.JPEG"
        )
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not classes:
        raise DataUnavailableError(f"image folder {root} has no class sub-directories")
    files: list[tuple[str, int]] = []
    for label, cls in enumerate(classes):
        names = sorted(
            e.name for e in os.scandir(os.path.join(root, cls))
            if e.is_file() and e.name.lower().endswith(IMAGE_SUFFIXES)
        )  # fmt: skip
        if max_per_class is not None:
            names = names[:max_per_class]
        files += [(os.path.join(root, cls, n), label) for n in names]
    if not files:
        raise DataUnavailableError(f"image folder {root} has no images ({IMAGE_SUFFIXES})")
    x = np.empty((len(files), 3, size, size), dtype=np.uint8)
    for i, (path, _) in enumerate(files):
        with Image.open(path) as img:
            x[i] = _center_square(img, size)
        if (i + 1) % log_every == 0:
            log.info("read %d / %d images", i + 1, len(files))
    y = np.array([label for _, label in files], dtype=np.int64)
    return Prepared(x=x, y=y, num_classes=len(classes), x_scale=255.0)


def load_imagenet(data_dir: str | None = None, *, root: str | None = None, size: int = 64,
                  max_per_class: int | None = None) -> Prepared:  # fmt: skip
    """ImageNet (ILSVRC2012) train set, 1,281,167 images of 1,000 classes, read as an
    ImageFolder tree from ``root`` if given, else ``<data_dir>/imagenet/train`` (see
    :func:`load_imagefolder`). It cannot be downloaded; the tree is read in place."""
    tree = root or os.path.join(resolve_data_dir(data_dir), IMAGENET_TRAIN)
    return load_imagefolder(tree, size=size, max_per_class=max_per_class)


#: Registry: source name -> loader. Keep in sync with the config schema's enum
#: (a test checks it).
SOURCES: dict[str, Callable[..., Prepared]] = {
    "sklearn_breast_cancer": load_breast_cancer,
    "sklearn_digits": load_digits,
    "german_credit": load_german_credit,
    "hepatitis": load_hepatitis,
    "adult": load_adult,
    "mnist": load_mnist,
    "cifar10_subset": load_cifar10_subset,
    "cifar10": load_cifar10,
    "cifar100": load_cifar100,
    "imagenet": load_imagenet,
}

#: Number of samples each source yields (``tests/test_data.py`` checks the ones
#: it can load), so that the config check can reject a ``train_size`` larger than
#: the member pool before any job runs. Sources whose size depends on options
#: (imagenet) are left out and checked when their split is drawn.
SOURCE_SIZES: dict[str, int] = {
    "sklearn_breast_cancer": 569,
    "sklearn_digits": 1797,
    "german_credit": 1000,
    "hepatitis": 155,
    "adult": 48842,
    "mnist": 70000,
    "cifar10_subset": 5000,
    "cifar10": 60000,
    "cifar100": 60000,
}


def source_options(source: str) -> list[str]:
    """Names of the options (keyword-only arguments) of a source's loader."""
    params = inspect.signature(SOURCES[source]).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def prepare(source: str, data_dir: str | None = None, **kwargs: Any) -> Prepared:
    """Load and preprocess ``source`` (a key of :data:`SOURCES`); ``kwargs`` are the
    loader's options (``source_kwargs`` in the config, e.g. ``size`` for imagenet)."""
    try:
        loader = SOURCES[source]
    except KeyError:
        raise ValueError(f"unknown data source {source!r}; allowed: {sorted(SOURCES)}") from None
    allowed = source_options(source)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"source {source!r} has no option(s) {unknown}; allowed: {allowed}")
    return loader(data_dir, **kwargs)


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
