"""Loaders on the offline copies in ../shared/data (skipped without them). No download
is attempted: a missing file fails with a message instead."""

import stat

import numpy as np
import pytest
from conftest import SHARED

from diffcal.data import registry as data
from diffcal.data.fetch import ChecksumError, DataUnavailableError, RemoteFile, fetch, sha256sum
from diffcal.data.sources.tabular import encode_tabular

needs_shared = pytest.mark.skipif(
    not (SHARED / "SHA256SUMS").is_file(),
    reason=f"offline dataset copies not found at {SHARED} (set DIFFCAL_DATA_DIR)",
)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    monkeypatch.delenv("DIFFCAL_DATA_DIR", raising=False)


# name: (rows, feature shape, label counts, x dtype)
EXPECTED = {
    "german_credit": (1000, (61,), [700, 300], np.float32),
    "hepatitis": (155, (47,), [32, 123], np.float32),
    "adult": (48842, (108,), [37155, 11687], np.float32),
    "mnist": (
        70000,
        (1, 28, 28),
        [6903, 7877, 6990, 7141, 6824, 6313, 6876, 7293, 6825, 6958],
        np.uint8,
    ),
    "cifar10_subset": (
        5000,
        (3, 32, 32),
        [499, 455, 520, 487, 512, 479, 526, 487, 513, 522],
        np.uint8,
    ),
}


@needs_shared
@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_loader_on_shared_data(source):
    rows, shape, counts, dtype = EXPECTED[source]
    d = data.prepare(source, str(SHARED))
    assert d.x.shape == (rows, *shape) and d.x.dtype == dtype
    assert np.bincount(d.y).tolist() == counts
    assert data.SOURCE_SIZES[source] == rows  # what the config check assumes
    feats = d.features()
    assert np.isfinite(feats).all()
    if dtype == np.uint8:
        assert 0.0 <= feats.min() and feats.max() <= 1.0
    else:  # standardised numeric columns + one-hot columns
        assert np.isin(feats[:, -5:], [0.0, 1.0]).all()


@pytest.mark.parametrize("source", ["sklearn_breast_cancer", "sklearn_digits"])
def test_source_sizes_of_sklearn_sets(source):
    assert data.prepare(source).n == data.SOURCE_SIZES[source]


@needs_shared
def test_shared_checksums_match_the_loaders():
    sums = dict(reversed(line.split()) for line in (SHARED / "SHA256SUMS").read_text().splitlines())
    from diffcal.data.sources import adult, cifar, german_credit, hepatitis, mnist

    for remote in (
        german_credit.GERMAN,
        hepatitis.HEPATITIS,
        adult.ADULT_TRAIN,
        adult.ADULT_TEST,
        cifar.CIFAR10_SUBSET,
    ):
        assert sums[f"./{remote.relpath}"] == remote.sha256
    for name, digest in mnist.MNIST_FILES.items():
        assert sums[f"./MNIST/raw/{name}"] == digest


def test_tabular_encoding_is_documented_behaviour():
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, None, 3.0, 5.0], "c": ["x", "y", None, "x"]})
    x = encode_tabular(df, ["a"], ["c"])
    # a (imputed with median 3, standardised), a-missing indicator (standardised), one-hot c
    assert x.shape == (4, 2 + 3)
    np.testing.assert_allclose(x[:, 0].mean(), 0, atol=1e-6)
    np.testing.assert_array_equal(x[:, 2:], [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]])


def test_missing_file_offline_names_path_and_url(tmp_path):
    remote = RemoteFile("uci/x/x.data", "https://example.org/x.data", "0" * 64)
    with pytest.raises(DataUnavailableError) as err:
        fetch(remote, tmp_path)
    msg = str(err.value)
    assert "uci/x/x.data" in msg and str(tmp_path / "uci/x/x.data") in msg
    assert "https://example.org/x.data" in msg
    assert not (tmp_path / "uci/x/x.data").exists()


def test_corrupt_file_is_never_used(tmp_path):
    path = tmp_path / "uci/x/x.data"
    path.parent.mkdir(parents=True)
    path.write_text("tampered\n")
    remote = RemoteFile("uci/x/x.data", "https://example.org/x.data", "0" * 64)
    with pytest.raises(ChecksumError, match="does not match"):
        fetch(remote, tmp_path)
    good = RemoteFile("uci/x/x.data", None, sha256sum(path))
    assert fetch(good, tmp_path) == path


def test_read_only_directory_is_read_in_place(tmp_path):
    path = tmp_path / "ro/uci/x/x.data"
    path.parent.mkdir(parents=True)
    path.write_text("1 2\n")
    remote = RemoteFile("uci/x/x.data", "https://example.org/x.data", sha256sum(path))
    for p in (path, path.parent, tmp_path / "ro"):
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        assert fetch(remote, tmp_path / "ro") == path
    finally:
        for p in (tmp_path / "ro", path.parent):
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_download_is_verified_and_atomic(tmp_path, monkeypatch):
    import io

    payload = b"a,b\n1,2\n"
    monkeypatch.setattr("urllib.request.urlopen", lambda url, timeout: io.BytesIO(payload))
    import hashlib

    good = RemoteFile("d/f.csv", "https://example.org/f.csv", hashlib.sha256(payload).hexdigest())
    assert fetch(good, tmp_path).read_bytes() == payload
    bad = RemoteFile("d/g.csv", "https://example.org/g.csv", "0" * 64)
    with pytest.raises(ChecksumError):
        fetch(bad, tmp_path)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["f.csv"]  # no temp left


def _write_image(path, array):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_imagenet_imagefolder_tree(tmp_path, monkeypatch):
    """A synthetic ImageFolder tree: sorted classes -> labels, sorted files,
    shorter side resized then centre-cropped, uint8 (n, 3, size, size)."""
    monkeypatch.delenv("DIFFCAL_DATA_DIR", raising=False)
    root = tmp_path / "imagenet/train"
    rng = np.random.default_rng(0)
    # a 16x32 (h x w) image, 200 in the middle and 0 near the left/right edges:
    # resized to 8x16 and centre-cropped to 8x8 (source columns 8..24) it keeps
    # only the middle (the margin covers the resize filter's support)
    wide = np.zeros((16, 32, 3), dtype=np.uint8)
    wide[:, 4:28] = 200
    _write_image(root / "n02/b.png", wide)
    _write_image(root / "n02/a.png", rng.integers(0, 255, (20, 20, 3), dtype=np.uint8))
    _write_image(root / "n01/z.png", rng.integers(0, 255, (9, 30, 3), dtype=np.uint8))
    (root / "n01/notes.txt").write_text("not an image")
    (root / "n03").mkdir()  # an empty class still gets its label
    d = data.prepare("imagenet", str(tmp_path), size=8)
    assert d.x.shape == (3, 3, 8, 8) and d.x.dtype == np.uint8
    assert d.y.tolist() == [0, 1, 1] and d.num_classes == 3 and d.x_scale == 255.0
    assert (d.x[2] == 200).all()  # n02/b.png is third (after n01/z, n02/a); centre only
    capped = data.prepare("imagenet", str(tmp_path), size=8, max_per_class=1)
    assert capped.y.tolist() == [0, 1]
    elsewhere = data.prepare("imagenet", None, root=str(root), size=8)  # a tree the user names
    np.testing.assert_array_equal(elsewhere.x, d.x)
    with pytest.raises(ValueError, match=r"no option\(s\) \['sise'\]"):
        data.prepare("imagenet", str(tmp_path), sise=8)
    with pytest.raises(DataUnavailableError, match="image-net.org"):
        data.prepare("imagenet", str(tmp_path / "nowhere"))


@needs_shared
def test_openml_encoding_of_credit_follows_the_released_code():
    """The released code's preprocessing (ordinal codes in german.doc's order, mean
    imputation, max-abs scaling over all 1,000 rows, then the first 800 rows),
    checked cell by cell against pandas on the raw file."""
    import pandas as pd

    raw = pd.read_csv(SHARED / "uci/statlog-german-credit/german.data", sep=" ", header=None)
    full = data.prepare("german_credit", str(SHARED), encoding="openml")
    assert full.x.shape == (1000, 20) and np.bincount(full.y).tolist() == [300, 700]
    assert ((raw[20] == 1) == (full.y == 1)).all()  # good -> 1 (LabelEncoder: bad < good)
    assert 0.0 <= full.x.min() and full.x.max() == 1.0
    # numeric column 1 (duration): value / column max
    np.testing.assert_allclose(full.x[:, 1], raw[1] / raw[1].max(), rtol=1e-6)
    # attribute 4 (purpose) A40..A410 -> codes 0..10, scaled by the largest code seen
    codes = raw[3].str[2:].astype(int)
    np.testing.assert_allclose(full.x[:, 3], codes / codes.max(), rtol=1e-6)
    # attribute 1 (checking account) A11..A14 -> 0..3
    np.testing.assert_allclose(full.x[:, 0], (raw[0].str[2:].astype(int) - 1) / 3, rtol=1e-6)
    first = data.prepare("german_credit", str(SHARED), encoding="openml", rows=800)
    np.testing.assert_array_equal(first.x, full.x[:800])  # scaled on all rows, then cut
    np.testing.assert_array_equal(first.y, full.y[:800])


@needs_shared
def test_openml_encoding_of_hepatitis_follows_the_released_code():
    import pandas as pd

    raw = pd.read_csv(SHARED / "uci/hepatitis/hepatitis.data", header=None, na_values="?")
    d = data.prepare("hepatitis", str(SHARED), encoding="openml", rows=124)
    assert d.x.shape == (124, 19) and np.isfinite(d.x).all()
    np.testing.assert_array_equal(d.y, raw[0].to_numpy()[:124] - 1)  # DIE -> 0, LIVE -> 1
    # steroid (column 3): 1/2 codes -> 0/1, missing -> the column mean of the codes
    codes = raw[3] - 1
    expect = codes.fillna(codes.mean()) / codes.fillna(codes.mean()).abs().max()
    np.testing.assert_allclose(d.x[:, 2], expect[:124], rtol=1e-6)
    # protime (column 18, 67 missing): mean-imputed, divided by its max
    col = raw[18].fillna(raw[18].mean())
    np.testing.assert_allclose(d.x[:, 17], (col / col.max())[:124], rtol=1e-6)


@needs_shared
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"encoding": "ordinal"}, "encoding 'ordinal' is not one of"),
        ({"rows": 0}, r"rows must be an integer in 1\.\.1000"),
        ({"rows": 1001}, r"rows must be an integer in 1\.\.1000"),
        ({"size": 3}, "has no option"),
    ],
)
def test_bad_source_options_fail_with_one_line(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.prepare("german_credit", str(SHARED), **kwargs)
