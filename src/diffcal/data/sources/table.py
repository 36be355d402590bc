"""Source ``table``: your own tabular data, one CSV or Parquet file.

Options (``source_kwargs``):

- ``path``: the file (``.csv``, ``.csv.gz``, ``.tsv``, ``.parquet``); a relative path
  is relative to the directory Snakemake runs in. Its content is an input of the
  ``prepare`` job: replacing the file reruns that dataset.
- ``label``: the label column (default ``label``). Its distinct values, sorted,
  become the classes ``0..C-1``; a row without a label is an error.
- ``encoding``: ``onehot`` (default) or ``none``.
- ``categorical``: the columns to one-hot encode (default: every column that is not
  numeric). Only with ``encoding: onehot``.
- ``drop``: columns to leave out of the features.
- ``member_column``: a boolean column (``True``/``False`` or 1/0) that says which
  rows a given target trained on (``target: {checkpoint: ...}`` without a
  ``members`` file); left out of the features.
- ``id``: a column of unique integer sample ids (left out of the features). The
  audit report and its risk table then name samples by these ids, and a given
  target's ``members`` file lists them (not row positions).
- ``encoder``: your own preprocessing, ``"file.py:function"`` or
  ``"package.module:function"`` (:mod:`diffcal.core.user_code`), used instead of
  the encoding below: called once with the feature columns (a DataFrame: every
  column but the label, ``drop``, ``id`` and ``member_column``, in the file's
  order), it returns an ``(n, d)`` array of finite numbers, one row per row of
  the file. A target trained outside diffcal must be fed the encoding it was
  trained on; this is how. Its file joins the prepare job's code digest (an
  edit re-encodes the dataset and reruns what follows).

Missing values, with ``encoding: onehot`` (:func:`diffcal.data.sources.tabular.encode_tabular`):
a numeric column is imputed with its median and gets a 0/1 missing-indicator column
(only if it has missing values); a categorical column treats "missing" as a
category of its own; then numeric columns are standardised with whole-dataset
statistics (a label-free transform applied to members and non-members alike). With
``encoding: none`` the features are used as they are: every feature column must be
numeric and complete, else the error names the columns.

Inside the pipeline (split, scores and attack files) samples are row positions in
the file, whether or not there is an ``id`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.data.prepared import Prepared
from diffcal.data.source import Source
from diffcal.data.sources.tabular import standardize

SOURCES = [Source("table", loader="load_table", check="check_table", file_options=("path",))]

ENCODINGS = ("onehot", "none")
#: Rows read to check a CSV's columns before any job runs (the loader checks all).
CHECK_ROWS = 1000
#: The options of :func:`load_table` besides ``path``, with their defaults.
OPTION_DEFAULTS = {
    "label": "label",
    "encoding": "onehot",
    "categorical": None,
    "drop": (),
    "id": None,
    "member_column": None,
}


def read_file(path: Path, nrows: int | None = None) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith(".parquet"):
        if nrows is None:
            return pd.read_parquet(path)
        import pyarrow.parquet as pq

        # the first rows only (a config check of a large file reads one batch)
        batch = next(pq.ParquetFile(path).iter_batches(batch_size=nrows), None)
        return pd.read_parquet(path).head(0) if batch is None else batch.to_pandas()
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        sep = "\t" if ".tsv" in name else ","
        return pd.read_csv(path, sep=sep, nrows=nrows)
    raise ValueError(f"{path}: unknown table format; use .csv, .csv.gz, .tsv or .parquet")


def _columns(
    frame: pd.DataFrame,
    path: Path,
    *,
    label: str,
    encoding: str,
    categorical: Sequence[str] | None,
    drop: Sequence[str],
    id: str | None = None,  # noqa: A002 (the option's name)
    member_column: str | None = None,
) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns; raises ValueError naming what is wrong."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding!r} is not one of {list(ENCODINGS)}")
    drop = [*drop, *[c for c in (id, member_column) if c]]
    missing = [c for c in [label, *drop, *(categorical or [])] if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} has no column(s) {missing}; columns: {list(frame.columns)}")
    features = [c for c in frame.columns if c != label and c not in drop]
    if not features:
        raise ValueError(f"{path}: no feature columns besides the label {label!r}")
    is_numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in features}
    if encoding == "none":
        if categorical:
            raise ValueError("categorical columns need encoding: onehot")
        text = [c for c in features if not is_numeric[c]]
        if text:
            raise ValueError(f"{path}: encoding none needs numeric features; text column(s) {text}")
        return features, []
    cats = (
        list(categorical) if categorical is not None else [c for c in features if not is_numeric[c]]
    )
    numeric = [c for c in features if c not in cats]
    text = [c for c in numeric if not is_numeric[c]]
    if text:
        raise ValueError(f"{path}: column(s) {text} are not numeric; list them in categorical")
    return numeric, cats


def check_table(*, path: str, encoder: str | None = None, **options) -> None:
    """The config check (before any job): the file exists and its first
    :data:`CHECK_ROWS` rows have the columns the options (those of
    :func:`load_table`) name; an ``encoder`` imports and encodes those rows.
    Raises ValueError."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"file {path} does not exist")
    head = read_file(p, nrows=CHECK_ROWS)
    if encoder:
        _encode_with(encoder, _feature_frame(head, p, **options))
        return
    _columns(head, p, **{**OPTION_DEFAULTS, **options})
    if options.get("member_column"):
        _booleans(head[options["member_column"]], p, options["member_column"])


def load_table(
    data_dir: str | None = None,
    *,
    path: str,
    label: str = "label",
    encoding: str = "onehot",
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    id: str | None = None,  # noqa: A002 (the option's name)
    member_column: str | None = None,
    encoder: str | None = None,
) -> Prepared:
    """Read the file once, in chunks of :data:`CHUNK_ROWS` rows, and encode it (module
    docstring; ``data_dir`` is not used). With an ``encoder``: :func:`load_encoded`.

    Streamed by hand (a whole-frame read holds several copies of the data;
    benchmarks/prepare_table.py): numeric columns as float64 chunks, categorical
    ones as integer codes, each output column written once into the float32 array,
    the same numbers as :func:`encode_tabular`."""
    p = Path(path)
    if encoder:
        return load_encoded(p, encoder, label=label, drop=drop, id=id, member_column=member_column)
    head = read_file(p, nrows=CHECK_ROWS)
    numeric, cats = _columns(
        head,
        p,
        label=label,
        encoding=encoding,
        categorical=categorical,
        drop=drop,
        id=id,
        member_column=member_column,
    )
    num_parts, cat_codes, labels, id_parts, member_parts = [], [], [], [], []
    extra = [c for c in (id, member_column) if c]
    levels: list[dict] = [{} for _ in cats]
    for chunk in _chunks(p, [*numeric, *cats, label, *extra], cats):
        try:
            block = chunk[numeric].apply(pd.to_numeric, errors="raise").to_numpy(np.float64)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"{path}: a numeric column holds text ({e}); list it in categorical"
            ) from None
        num_parts.append(block)
        cat_codes.append(_codes(chunk, cats, levels))
        labels.append(chunk[label].to_numpy())
        if id:
            id_parts.append(chunk[id].to_numpy())
        if member_column:
            member_parts.append(_booleans(chunk[member_column], p, member_column))
    classes, y = _classes(np.concatenate(labels), path, label)
    ids = None if id is None else _ids(pd.Series(np.concatenate(id_parts)), p, id)
    x, names = _encode(num_parts, cat_codes, levels, len(y), numeric, encoding, path, cats)
    members = np.concatenate(member_parts) if member_column else None
    kept = {"ids": ids, "members": members, "feature_names": tuple(names)}
    return Prepared(x=x, y=y.astype(np.int64), num_classes=len(classes), **kept)


def _codes(chunk: pd.DataFrame, cats: Sequence[str], levels: list[dict]) -> list[np.ndarray]:
    """Integer codes of the chunk's categorical columns, consistent across chunks
    (``levels[j]``: column j's value -> code, extended in place)."""
    codes = []
    for j, col in enumerate(cats):
        values = chunk[col].astype("string").fillna("<missing>").to_numpy(dtype=object)
        local, uniques = pd.factorize(values)
        to_global = np.array(
            [levels[j].setdefault(v, len(levels[j])) for v in uniques], dtype=np.int32
        )
        codes.append(to_global[local])
    return codes


def _classes(y_raw: np.ndarray, path, label: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct labels, each row's class index); ValueError (one line) for
    a row without a label or a single class."""
    if pd.isna(y_raw).any():
        raise ValueError(f"{path}: {int(pd.isna(y_raw).sum())} row(s) have no label")
    classes, y = np.unique(y_raw, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{path}: label column {label!r} has one class ({classes[0]!r})")
    return classes, y


def _feature_frame(
    frame: pd.DataFrame,
    path: Path,
    *,
    label: str = "label",
    drop: Sequence[str] = (),
    id: str | None = None,  # noqa: A002 (the option's name)
    member_column: str | None = None,
    **built_in,
) -> pd.DataFrame:
    """The columns an encoder receives: all but the label, ``drop``, ``id`` and
    ``member_column``, in the file's order. The built-in encoding's options
    (``encoding``, ``categorical``) are refused: the encoder does its own."""
    given = sorted(k for k, v in built_in.items() if v not in (None, "onehot"))
    if given:
        raise ValueError(
            f"{path}: {given} are options of the built-in encoding, which the encoder replaces"
        )
    out = [label, *drop, *[c for c in (id, member_column) if c]]
    missing = [c for c in out if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} has no column(s) {missing}; columns: {list(frame.columns)}")
    return frame.drop(columns=out)


def _encode_with(encoder: str, features: pd.DataFrame) -> np.ndarray:
    """``(n, d)`` float32 from the user's encoder; ValueError (one line) naming it."""
    from diffcal.core.user_code import call_user, load_callable

    what = f"source_kwargs.encoder {encoder!r}"
    fn = load_callable(encoder, what)
    x = call_user(lambda: np.asarray(fn(features.copy()), dtype=np.float32), what)
    if x.ndim != 2 or len(x) != len(features):
        raise ValueError(f"{what}: returned shape {x.shape}, expected ({len(features)}, d)")
    bad = int((~np.isfinite(x)).any(axis=1).sum())
    if bad:
        raise ValueError(f"{what}: {bad} row(s) hold NaN or infinite values")
    return x


def load_encoded(
    path: Path,
    encoder: str,
    *,
    label: str,
    drop: Sequence[str],
    id: str | None,  # noqa: A002 (the option's name)
    member_column: str | None,
) -> Prepared:
    """The table encoded by the user's ``encoder`` (the whole file read at once:
    the encoder sees every row, as when its owner trained on it)."""
    frame = read_file(path)
    features = _feature_frame(
        frame, path, label=label, drop=drop, id=id, member_column=member_column
    )
    x = _encode_with(encoder, features)
    classes, y = _classes(frame[label].to_numpy(), path, label)
    ids = None if id is None else _ids(frame[id], path, id)
    members = _booleans(frame[member_column], path, member_column) if member_column else None
    return Prepared(x=x, y=y.astype(np.int64), num_classes=len(classes), ids=ids, members=members)


def _booleans(column: pd.Series, path: Path, name: str) -> np.ndarray:
    """A True/False or 1/0 column as bool; ValueError (one line) otherwise."""
    if column.dtype == bool:
        return column.to_numpy(bool)
    text = column.astype("string").str.strip().str.lower()
    ok = text.isin(["true", "false", "1", "0", "1.0", "0.0"])
    if not ok.all():
        raise ValueError(
            f"{path}: column {name!r} must be True/False or 1/0, "
            f"got {column[~ok.to_numpy(bool)].iloc[0]!r}"
        )
    return text.isin(["true", "1", "1.0"]).to_numpy(bool)


#: Rows per chunk when a table is read (memory: one chunk's parse at a time).
CHUNK_ROWS = 100_000


def _chunks(path: Path, columns: list[str], cats: list[str]):
    """The file's ``columns`` in frames of :data:`CHUNK_ROWS` rows; categorical
    columns read as text (the same categories in every chunk)."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS, columns=columns):
            yield batch.to_pandas()
        return
    sep = "\t" if ".tsv" in name else ","
    yield from pd.read_csv(
        path, sep=sep, usecols=columns, dtype={c: str for c in cats}, chunksize=CHUNK_ROWS
    )


def _encode(num_parts, cat_codes, levels, n, numeric, encoding, path, cats):
    """The ``(n, d)`` float32 features from the chunks (see :func:`load_table`) and
    the ``d`` column names: a numeric column's name, ``<name> missing`` for its
    indicator, ``<column>=<level>`` for a one-hot column."""
    n_num = len(numeric)
    missing = [any(np.isnan(b[:, j]).any() for b in num_parts) for j in range(n_num)]
    if encoding == "none" and any(missing):
        bad = [c for c, m in zip(numeric, missing, strict=True) if m]
        raise ValueError(f"{path}: encoding none needs complete features; missing in {bad}")
    sorted_levels = [sorted(lv) for lv in levels]
    width = n_num + sum(missing) + sum(len(lv) for lv in sorted_levels)
    x = np.empty((n, width), dtype=np.float32)
    names: list[str] = []  # in column order
    k = 0
    for j in range(n_num):
        v = np.concatenate([b[:, j] for b in num_parts])
        names.append(str(numeric[j]))
        if encoding == "none":
            x[:, k] = v
            k += 1
            continue
        nan = np.isnan(v)
        if nan.any():
            v[nan] = np.median(v[~nan])
        x[:, k] = standardize(v[:, None])[:, 0]
        k += 1
        if missing[j]:
            x[:, k] = standardize(nan[:, None])[:, 0]
            names.append(f"{numeric[j]} missing")
            k += 1
    del num_parts[:]
    for j, lv in enumerate(sorted_levels):
        remap = np.empty(len(lv), np.int32)
        for new, value in enumerate(lv):
            remap[levels[j][value]] = new
        codes = remap[np.concatenate([c[j] for c in cat_codes])]
        block = x[:, k : k + len(lv)]
        block[:] = 0.0
        block[np.arange(n), codes] = 1.0
        names += [f"{cats[j]}={value}" for value in lv]
        k += len(lv)
    return x, names


def _ids(column: pd.Series, path: Path, name: str) -> np.ndarray:
    """The ``id`` column as int64; ValueError (one line) unless unique integers."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise ValueError(f"{path}: id column {name!r} must hold integers (no gaps)")
    ids = values.astype(np.int64)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{path}: id {int(uniq[counts > 1][0])} is repeated in column {name!r}")
    return ids
