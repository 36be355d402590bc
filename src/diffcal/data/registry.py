"""Dataset sources by name, and loading one.

A *source* is a function ``(data_dir, **options) -> Prepared`` in its own module
under :mod:`diffcal.data.sources`, declared there by a
:class:`~diffcal.data.source.Source` record (``SOURCES = [Source(...)]``). The
registry finds the records by reading those files, and imports a loader only when
it is used (so that a stage's code digest does not cover every loader): a new
source is one new file. The file format of prepared data is
:mod:`diffcal.data.prepared`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diffcal.data.prepared import Prepared, load_prepared, save_prepared
from diffcal.data.source import Source

__all__ = [
    "RECORDS",
    "SOURCES",
    "SOURCE_SIZES",
    "Prepared",
    "load_prepared",
    "loader",
    "prepare",
    "save_prepared",
    "source_module",
    "source_options",
]

SOURCES_PACKAGE = "diffcal.data.sources"


def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"{where}: Source(...) takes literal arguments only") from None


def _declared(path: Path, module: str) -> list[Source]:
    """The ``SOURCES = [Source(...), ...]`` of one module file, read without
    importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["SOURCES"]
        ):
            continue
        if not isinstance(node.value, ast.List | ast.Tuple):
            raise ValueError(f"{path}: SOURCES must be a list of Source(...)")
        for call in node.value.elts:
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Source"):
                raise ValueError(f"{path}: SOURCES must be a list of Source(...)")
            args = [_literal(a, str(path)) for a in call.args]
            kwargs = {k.arg: _literal(k.value, str(path)) for k in call.keywords}
            out.append(Source(*args, **kwargs, module=module))
    return out


def discover(directory: Path, package: str = SOURCES_PACKAGE) -> dict[str, Source]:
    """Every source declared by the modules of ``directory`` (the package
    ``package``), by name, in file order; ValueError on a name declared twice."""
    found: dict[str, Source] = {}
    for path in sorted(Path(directory).glob("*.py")):
        if path.name == "__init__.py":
            continue
        for src in _declared(path, f"{package}.{path.stem}"):
            if src.name in found:
                raise ValueError(f"source {src.name!r} declared twice ({found[src.name].module})")
            found[src.name] = src
    return found


#: Every source: name -> its record (:class:`diffcal.data.source.Source`).
RECORDS: dict[str, Source] = discover(
    Path(importlib.util.find_spec(SOURCES_PACKAGE).submodule_search_locations[0])
)
#: Source name -> "module:function" of its loader.
SOURCES: dict[str, str] = {n: f"{r.module}:{r.loader}" for n, r in RECORDS.items()}
#: Number of samples of each source whose size does not depend on its options.
SOURCE_SIZES: dict[str, int] = {n: r.size for n, r in RECORDS.items() if r.size is not None}


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
    rec = RECORDS[source]
    if rec.check:
        _function(f"{rec.module}:{rec.check}")(**options)


def source_files(source: str, options: dict[str, Any]) -> list[str]:
    """The user's files a source reads (empty for the built-in sources)."""
    keys = RECORDS[source].file_options
    return [str(options[k]) for k in keys if options.get(k) is not None]


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
