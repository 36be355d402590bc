"""Source ``arrays``: your own data as numpy arrays, one ``.npz`` holding ``x`` and
``y``, or a pair of ``.npy`` files.

Options (``source_kwargs``):

- ``path``: the ``.npz`` (arrays ``x`` and ``y``); or ``x`` and ``y``: two ``.npy``
  files. Relative paths are relative to the directory Snakemake runs in; the files
  are inputs of the ``prepare`` job (replacing one reruns that dataset).
- ``layout``: how ``x`` is laid out: ``auto`` (default), ``nhwc``, ``nchw`` (images)
  or ``flat`` (``(n, d)`` features). ``auto``: 2-D is flat; 3-D is ``(n, H, W)``
  grey images; 4-D is ``nhwc`` when only the last axis has 1, 3 or 4 entries,
  ``nchw`` when only the second has; an image with both is ambiguous and asks for
  ``layout``. The layout used is written to the job log.

Images are stored as ``(n, C, H, W)``: ``uint8`` as they are (scaled by 1/255 when
used), floats as ``float32`` unscaled. Labels: the distinct values of ``y``, sorted,
become the classes ``0..C-1``. Sample ids are row positions.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from diffcal.data.prepared import Prepared
from diffcal.data.source import Source

SOURCES = [
    Source("arrays", loader="load_arrays", check="check_arrays", file_options=("path", "x", "y"))
]

LAYOUTS = ("auto", "nhwc", "nchw", "flat")
CHANNELS = (1, 3, 4)
log = logging.getLogger("diffcal")


def _files(path: str | None, x: str | None, y: str | None) -> list[Path]:
    if (path is None) == (x is None or y is None):
        raise ValueError("give either path (an .npz with x and y) or both x and y (.npy files)")
    files = [Path(path)] if path is not None else [Path(x), Path(y)]
    for f in files:
        if not f.is_file():
            raise ValueError(f"file {f} does not exist")
    return files


def infer_layout(shape: tuple[int, ...], layout: str = "auto") -> str:
    """The layout of an array of ``shape`` (see the module docstring)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r} is not one of {list(LAYOUTS)}")
    ndim = len(shape)
    if layout != "auto":
        need = {"flat": 2, "nhwc": 4, "nchw": 4}[layout]
        if ndim != need:
            raise ValueError(f"layout {layout} needs a {need}-D x, got shape {shape}")
        return layout
    if ndim == 2:
        return "flat"
    if ndim == 3:
        return "nhw"
    if ndim == 4:
        last, second = shape[3] in CHANNELS, shape[1] in CHANNELS
        if last != second:
            return "nhwc" if last else "nchw"
        raise ValueError(f"x of shape {shape}: channels axis unclear; set layout: nhwc or nchw")
    raise ValueError(f"x must be 2-D (features) or 3/4-D (images), got shape {shape}")


def check_arrays(
    *, path: str | None = None, x: str | None = None, y: str | None = None, layout: str = "auto"
) -> None:
    """The config check (before any job): files exist, shapes agree, the layout is
    known. Raises ValueError."""
    files = _files(path, x, y)
    xs, ys = _shapes(files)
    _check_shapes(xs, ys)
    infer_layout(xs, layout)


def _check_shapes(xs: tuple[int, ...], ys: tuple[int, ...]) -> None:
    if len(ys) != 1 or not xs or xs[0] != ys[0]:
        raise ValueError(f"x has shape {xs} but y has shape {ys}; y must be (n,) with n = {xs[0]}")


def _header_shape(fh) -> tuple[int, ...]:
    """The shape in an .npy stream's header (the data is not read)."""
    fmt = np.lib.format
    major, _ = fmt.read_magic(fh)
    read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
    return tuple(read(fh)[0])


def _shapes(files: list[Path]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shapes of x and y from the .npy headers alone: the config check does not read
    a large file's data (an .npz is a zip of .npy members)."""
    if len(files) == 1:
        with zipfile.ZipFile(files[0]) as z:
            names = {n.removesuffix(".npy"): n for n in z.namelist()}
            missing = [k for k in ("x", "y") if k not in names]
            if missing:
                raise ValueError(f"{files[0]} has no array(s) {missing}; it holds {sorted(names)}")
            shapes = []
            for k in ("x", "y"):
                with z.open(names[k]) as fh:
                    shapes.append(_header_shape(fh))
            return shapes[0], shapes[1]
    shapes = []
    for f in files:
        with open(f, "rb") as fh:
            shapes.append(_header_shape(fh))
    return shapes[0], shapes[1]


def load_arrays(
    data_dir: str | None = None,
    *,
    path: str | None = None,
    x: str | None = None,
    y: str | None = None,
    layout: str = "auto",
) -> Prepared:
    """Read the arrays once into the prepared format (see the module docstring)."""
    files = _files(path, x, y)
    if len(files) == 1:
        with np.load(files[0], allow_pickle=False) as f:
            xa, ya = f["x"], f["y"]
    else:
        xa, ya = np.load(files[0], allow_pickle=False), np.load(files[1], allow_pickle=False)
    _check_shapes(xa.shape, ya.shape)
    kind = infer_layout(xa.shape, layout)
    if kind == "nhwc":
        xa = xa.transpose(0, 3, 1, 2)
    elif kind == "nhw":
        xa = xa[:, None]
    if xa.dtype != np.uint8:
        xa = xa.astype(np.float32)
        if not np.isfinite(xa).all():
            raise ValueError("x holds NaN or infinite values")
    classes, yi = np.unique(ya, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y has one class ({classes[0]!r})")
    log.info(
        "arrays: x layout %s -> stored %s %s, %d classes", kind, xa.shape, xa.dtype, len(classes)
    )
    return Prepared(
        x=np.ascontiguousarray(xa),
        y=yi.astype(np.int64),
        num_classes=len(classes),
        x_scale=255.0 if xa.dtype == np.uint8 else 1.0,
    )
