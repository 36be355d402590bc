"""Dataset sources by name, and loading one.

A *source* is a function ``(data_dir, **options) -> Prepared`` in its own module
under :mod:`diffcal.data.sources`, registered in :data:`SOURCES` by ``"module:function"``
and imported only when used (so that a stage's code digest does not cover every
loader). The file format of prepared data is :mod:`diffcal.data.prepared`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diffcal.data.prepared import Prepared, load_prepared, save_prepared

__all__ = ["SOURCES", "SOURCE_SIZES", "Prepared", "load_prepared", "loader", "prepare",
           "save_prepared", "source_module", "source_options"]  # fmt: skip

#: Registry: source name -> "module:function". Keep in sync with the config
#: schema's enum (a test checks it).
SOURCES: dict[str, str] = {
    "sklearn_breast_cancer": "diffcal.data.sources.breast_cancer:load_breast_cancer",
    "sklearn_digits": "diffcal.data.sources.digits:load_digits",
    "german_credit": "diffcal.data.sources.german_credit:load_german_credit",
    "hepatitis": "diffcal.data.sources.hepatitis:load_hepatitis",
    "adult": "diffcal.data.sources.adult:load_adult",
    "mnist": "diffcal.data.sources.mnist:load_mnist",
    "cifar10_subset": "diffcal.data.sources.cifar:load_cifar10_subset",
    "cifar10": "diffcal.data.sources.cifar:load_cifar10",
    "cifar100": "diffcal.data.sources.cifar:load_cifar100",
    "imagenet": "diffcal.data.sources.imagenet:load_imagenet",
    # your own data
    "table": "diffcal.data.sources.table:load_table",
    "arrays": "diffcal.data.sources.arrays:load_arrays",
    "image_folder": "diffcal.data.sources.image_folder:load_image_folder",
}

#: Sources whose options name files of the user's: a check run by the config check
#: before any job ("module:function", keyword arguments = the options; raises
#: ValueError), and the options that are file paths (inputs of the prepare job, so
#: replacing a file reruns its dataset).
SOURCE_CHECKS: dict[str, str] = {
    "table": "diffcal.data.sources.table:check_table",
    "arrays": "diffcal.data.sources.arrays:check_arrays",
    "image_folder": "diffcal.data.sources.image_folder:check_image_folder",
}
FILE_OPTIONS = ("path", "x", "y")

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


def source_module(source: str) -> str:
    """Module that holds the loader of ``source`` (its code digest is the prepare
    job's)."""
    return SOURCES[source].partition(":")[0]


def loader(source: str) -> Callable[..., Prepared]:
    """The loader function of ``source``."""
    return _function(SOURCES[source])


def _function(ref: str) -> Callable[..., Any]:
    module, _, func = ref.partition(":")
    return getattr(importlib.import_module(module), func)


def check_source_options(source: str, options: dict[str, Any]) -> None:
    """Run the source's own check of its options (files exist, columns are there),
    if it has one; raises ValueError with a one-line message."""
    if source in SOURCE_CHECKS:
        _function(SOURCE_CHECKS[source])(**options)


def source_files(source: str, options: dict[str, Any]) -> list[str]:
    """The user's files a source reads (empty for the built-in sources)."""
    if source not in SOURCE_CHECKS:
        return []
    return [str(options[k]) for k in FILE_OPTIONS if options.get(k) is not None]


def source_options(source: str) -> list[str]:
    """Names of the options (keyword-only arguments) of a source's loader, read from
    its source file without importing it: the config check runs while Snakemake
    parses, and a loader module may import pandas or torchvision."""
    module, _, func = SOURCES[source].partition(":")
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == func:
            return [a.arg for a in node.args.kwonlyargs]
    raise ValueError(f"loader {SOURCES[source]!r} not found")


def prepare(source: str, data_dir: str | None = None, **kwargs: Any) -> Prepared:
    """Load and preprocess ``source`` (a key of :data:`SOURCES`); ``kwargs`` are the
    loader's options (``source_kwargs`` in the config, e.g. ``size`` for imagenet)."""
    if source not in SOURCES:
        raise ValueError(f"unknown data source {source!r}; allowed: {sorted(SOURCES)}")
    allowed = source_options(source)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"source {source!r} has no option(s) {unknown}; allowed: {allowed}")
    return loader(source)(data_dir, **kwargs)
