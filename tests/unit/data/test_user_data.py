"""Your own data: the ``table`` (CSV / Parquet) and ``arrays`` (NPZ / NPY) sources,
against independent oracles (scikit-learn's encoders, numpy transposes), their
one-line errors before any job, and a workflow run equal to the built-in source's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from diffcal.config.errors import ConfigError
from diffcal.config.load import prepare_config
from diffcal.data.registry import prepare
from diffcal.data.sources.arrays import infer_layout


def _mixed_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n).astype(float),
            "income": rng.normal(50, 10, n),
            "city": rng.choice(["Paris", "Oslo", "Rome"], n),
            "id": np.arange(1000, 1000 + n),
            "label": rng.choice(["no", "yes"], n),
        }
    )
    frame.loc[[3, 7], "age"] = np.nan
    frame.loc[[5], "city"] = None
    return frame


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_table_onehot_matches_scikit_learn_encoders(tmp_path, fmt):
    """Oracle: scikit-learn's median imputer with missing indicator, StandardScaler
    (population std, as ours) and OneHotEncoder (sorted categories)."""
    frame = _mixed_frame()
    path = tmp_path / f"data.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path)
    got = prepare("table", None, path=str(path), drop=["id"])

    num = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    cat = make_pipeline(SimpleImputer(strategy="constant", fill_value="<missing>"), OneHotEncoder())
    ct = ColumnTransformer(
        [("num", num, ["age", "income"]), ("cat", cat, ["city"])], sparse_threshold=0
    )
    want = ct.fit_transform(frame.astype({"city": object}))
    # ours puts each indicator right after its column: age, age missing, income
    want = want[:, [0, 2, 1, 3, 4, 5, 6]]
    np.testing.assert_allclose(got.x, want, atol=1e-5)
    np.testing.assert_array_equal(got.y, (frame["label"] == "yes").to_numpy())
    assert got.num_classes == 2 and got.x.dtype == np.float32
    # scikit-learn's names (num__missingindicator_age, cat__city_Oslo) in ours
    names = [ct.get_feature_names_out()[i].split("__", 1)[1] for i in (0, 2, 1, 3, 4, 5, 6)]
    assert got.feature_names == tuple(
        n.removeprefix("missingindicator_") + " missing"
        if n.startswith("missingindicator_")
        else n.replace("city_", "city=", 1)
        for n in names
    )


def test_the_encoding_exports_with_its_feature_names(tmp_path):
    """python -m diffcal.data.table_export: the arrays the audit feeds and the names."""
    from diffcal.data.table_export import main

    frame = _mixed_frame()
    frame.to_csv(tmp_path / "t.csv", index=False)
    main([str(tmp_path / "t.csv"), "--drop", "id", "--out", str(tmp_path / "enc")])
    want = prepare("table", None, path=str(tmp_path / "t.csv"), drop=["id"])
    with np.load(tmp_path / "enc/encoded.npz") as f:
        np.testing.assert_array_equal(f["x"], want.features())
        np.testing.assert_array_equal(f["y"], want.y)
    names = pd.read_csv(tmp_path / "enc/features.csv")
    assert names["column"].tolist() == list(range(want.x.shape[1]))
    assert tuple(names["name"]) == want.feature_names


def test_table_on_the_breast_cancer_set_equals_the_builtin_source(tmp_path):
    bc = load_breast_cancer()
    frame = pd.DataFrame(bc.data, columns=bc.feature_names).assign(label=bc.target)
    frame.to_csv(tmp_path / "bc.csv", index=False)
    got = prepare("table", None, path=str(tmp_path / "bc.csv"))
    builtin = prepare("sklearn_breast_cancer", None)
    np.testing.assert_allclose(got.x, builtin.x, atol=1e-6)
    np.testing.assert_array_equal(got.y, builtin.y)


def test_table_encoding_none_keeps_the_values(tmp_path):
    frame = pd.DataFrame({"a": [1.5, 2.0, 3.0], "b": [0, 1, 0], "label": [2, 7, 2]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    got = prepare("table", None, path=str(tmp_path / "t.csv"), encoding="none")
    np.testing.assert_array_equal(got.x, frame[["a", "b"]].to_numpy(np.float32))
    np.testing.assert_array_equal(got.y, [0, 1, 0])  # labels 2, 7 -> classes 0, 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_table_read_in_chunks_equals_the_whole_frame_encoding(tmp_path, monkeypatch, fmt):
    """Chunks of 7 rows (a category and the missing values first seen in later
    chunks) give exactly encode_tabular's array on the whole frame."""
    from pathlib import Path

    from diffcal.data.sources import table
    from diffcal.data.sources.tabular import encode_tabular

    frame = _mixed_frame()
    frame.loc[50:, "city"] = "Lima"  # a level that appears only at the end
    path = tmp_path / f"t.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path)
    monkeypatch.setattr(table, "CHUNK_ROWS", 7)
    got = table.load_table(path=str(path), drop=["id"])
    whole = table.read_file(Path(path))
    numeric, cats = table._columns(whole, Path(path), **{**table.OPTION_DEFAULTS, "drop": ["id"]})
    np.testing.assert_array_equal(got.x, encode_tabular(whole, numeric, cats))


def test_table_id_column_is_kept_apart_and_maps_members_to_rows(tmp_path):
    from diffcal.data.members import rows_of_ids
    from diffcal.data.prepared import load_prepared, save_prepared

    frame = _mixed_frame()
    frame.to_csv(tmp_path / "t.csv", index=False)
    got = prepare("table", None, path=str(tmp_path / "t.csv"), id="id")
    dropped = prepare("table", None, path=str(tmp_path / "t.csv"), drop=["id"])
    np.testing.assert_array_equal(got.x, dropped.x)  # the id is not a feature
    np.testing.assert_array_equal(got.ids, frame["id"])
    save_prepared(got, tmp_path / "d.npz")
    np.testing.assert_array_equal(load_prepared(tmp_path / "d.npz").ids, frame["id"])
    np.testing.assert_array_equal(rows_of_ids(np.array([1003, 1010]), got.ids, "m"), [3, 10])
    with pytest.raises(ValueError, match="members file m: id 5 is not in the data"):
        rows_of_ids(np.array([5]), got.ids, "m")
    frame.loc[4, "id"] = 1000
    frame.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(ValueError, match="id 1000 is repeated in column 'id'"):
        prepare("table", None, path=str(tmp_path / "dup.csv"), id="id")


def test_table_member_column_gives_a_given_targets_members(tmp_path):
    """A boolean column of the table (left out of the features) says which rows the
    given target trained on; the split keeps exactly those as members."""
    from diffcal.data.prepared import save_prepared
    from diffcal.stages.split import run_split

    frame = _mixed_frame()
    frame["in_train"] = np.where(np.arange(len(frame)) % 3 == 0, "True", "False")
    frame.to_csv(tmp_path / "t.csv", index=False)
    got = prepare(
        "table", None, path=str(tmp_path / "t.csv"), drop=["id"], member_column="in_train"
    )
    plain = prepare("table", None, path=str(tmp_path / "t.csv"), drop=["id", "in_train"])
    np.testing.assert_array_equal(got.x, plain.x)
    np.testing.assert_array_equal(np.flatnonzero(got.members), np.arange(0, 60, 3))
    save_prepared(got, tmp_path / "d.npz")
    run_split(
        data=str(tmp_path / "d.npz"),
        out=str(tmp_path / "s.parquet"),
        root_seed=1,
        dataset="t",
        splits=[0, 1],
        cfg={"private_fraction": 0.8},
        members_in_data=True,
    )
    sp = pd.read_parquet(tmp_path / "s.parquet")
    for _, g in sp.groupby("split"):
        assert sorted(g.loc[g["role"] == "member", "sample_id"]) == list(range(0, 60, 3))
    frame["in_train"] = "maybe"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ConfigError, match="column 'in_train' must be True/False or 1/0"):
        prepare_config(_cfg("table", path=str(tmp_path / "bad.csv"), member_column="in_train"))


def test_a_given_target_without_members_needs_a_member_column(tmp_path):
    import torch

    _mixed_frame().to_csv(tmp_path / "t.csv", index=False)
    torch.save({"w": torch.zeros(1)}, tmp_path / "c.pt")
    cfg = _cfg("table", path=str(tmp_path / "t.csv"))
    cfg["datasets"]["mine"]["target"] = {"checkpoint": str(tmp_path / "c.pt")}
    with pytest.raises(ConfigError, match="datasets.mine.target.members': give the target's"):
        prepare_config(cfg)


def _cfg(source: str, **kwargs) -> dict:
    return {"datasets": {"mine": {"source": source, "source_kwargs": kwargs}}}


#: Table options a user may get wrong, and what the one-line error must say.
BAD_TABLE_OPTIONS = {
    "missing file": ({"path": "nope.csv"}, ["source_kwargs", "nope.csv does not exist"]),
    "no label column": ({"path": "{d}/t.csv", "label": "target"}, ["no column(s) ['target']"]),
    "text, no encoding": ({"path": "{d}/t.csv", "encoding": "none"}, ["column(s) ['city']"]),
    "unknown encoding": ({"path": "{d}/t.csv", "encoding": "dense"}, ["encoding 'dense'"]),
}


@pytest.mark.parametrize("kwargs, needles", BAD_TABLE_OPTIONS.values(), ids=BAD_TABLE_OPTIONS)
def test_table_bad_options_are_one_line_before_any_job(tmp_path, kwargs, needles):
    _mixed_frame().to_csv(tmp_path / "t.csv", index=False)
    kwargs = {k: v.format(d=tmp_path) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(ConfigError) as err:
        prepare_config(_cfg("table", **kwargs))
    msg = str(err.value)
    assert msg.startswith("config key 'datasets.mine.source_kwargs'") and "\n" not in msg
    for needle in needles:
        assert needle in msg


@pytest.mark.parametrize(
    "shape, layout",
    [
        ((5, 8), "flat"),
        ((5, 28, 28), "nhw"),
        ((5, 32, 32, 3), "nhwc"),
        ((5, 3, 32, 32), "nchw"),
        ((5, 1, 28, 28), "nchw"),
    ],
)
def test_arrays_layout_is_inferred(shape, layout):
    assert infer_layout(shape) == layout


def test_ambiguous_image_layout_asks_for_it():
    with pytest.raises(ValueError, match="set layout"):
        infer_layout((5, 3, 4, 3))
    assert infer_layout((5, 3, 4, 3), "nhwc") == "nhwc"


def test_arrays_nhwc_uint8_npz_and_npy_pair_give_the_same_nchw_data(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8)
    y = rng.choice([3, 5, 9], 12)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    a = prepare("arrays", None, path=str(tmp_path / "d.npz"))
    b = prepare("arrays", None, x=str(tmp_path / "x.npy"), y=str(tmp_path / "y.npy"))
    for got in (a, b):
        assert got.x.shape == (12, 3, 8, 8) and got.x.dtype == np.uint8 and got.x_scale == 255
        for i in range(12):  # oracle: one image at a time, channel by channel
            for c in range(3):
                np.testing.assert_array_equal(got.x[i, c], x[i, :, :, c])
        np.testing.assert_array_equal(got.y, np.searchsorted([3, 5, 9], y))
        assert got.num_classes == 3


def test_arrays_bad_input_is_one_line_before_any_job(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 2)), z=np.zeros(4))
    with pytest.raises(ConfigError, match=r"has no array\(s\) \['y'\]"):
        prepare_config(_cfg("arrays", path=str(tmp_path / "d.npz")))
    np.savez(tmp_path / "e.npz", x=np.zeros((4, 2)), y=np.zeros(5))
    with pytest.raises(ConfigError, match="y must be"):
        prepare_config(_cfg("arrays", path=str(tmp_path / "e.npz")))
    with pytest.raises(ConfigError, match="either path"):
        prepare_config(_cfg("arrays", x=str(tmp_path / "d.npz")))


def test_image_folder_reads_any_tree_like_pil(tmp_path):
    """Oracle: the pixels written (images already square at ``size``: no resize)."""
    from PIL import Image

    rng = np.random.default_rng(2)
    root = tmp_path / "pics"
    want = []
    for label, cls in enumerate(["cat", "dog"]):  # sorted class names -> labels
        (root / cls).mkdir(parents=True)
        for i in range(3):
            arr = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.png")
            want.append((arr, label))
    d = prepare("image_folder", None, root=str(root), size=16)
    assert d.x.shape == (6, 3, 16, 16) and d.num_classes == 2 and d.x_scale == 255
    for i, (arr, label) in enumerate(want):  # PNG is lossless: the saved pixels
        np.testing.assert_array_equal(d.x[i], arr.transpose(2, 0, 1))
        assert d.y[i] == label
    with pytest.raises(ConfigError, match="needs at least 2 class sub-directories"):
        prepare_config(_cfg("image_folder", root=str(root / "cat")))
