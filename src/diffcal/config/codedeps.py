"""Digests of library code, so Snakemake reruns a rule when the code it runs changes.

Snakemake tracks the ``script:`` file of a rule but not the library modules that
script imports. :func:`code_digest` hashes a module together with every
``diffcal`` module it imports (transitively, found by parsing the source), so a
rule whose ``params`` carry the digest reruns exactly when that code changes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path


def _module_path(src_root: Path, module: str) -> Path:
    path = _module_file(src_root, module)
    if path is None:
        raise FileNotFoundError(f"module {module!r} not found under {src_root}")
    return path


def _module_file(src_root: Path, module: str) -> Path | None:
    """The source file of ``module`` under ``src_root`` (``a/b.py`` or
    ``a/b/__init__.py``), or None. Looked up in a listing of the parent directory,
    cached per directory version (its mtime changes when a file is added or
    removed): one ``stat`` per lookup instead of two to three."""
    *parents, name = module.split(".")
    parent = src_root.joinpath(*parents)
    try:
        listing = _listing(str(parent), parent.stat().st_mtime_ns)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if name + ".py" in listing:
        return parent / (name + ".py")
    if name in listing and (parent / name / "__init__.py").is_file():
        return parent / name / "__init__.py"
    return None


@functools.lru_cache(maxsize=256)
def _listing(directory: str, _mtime_ns: int) -> frozenset[str]:
    return frozenset(os.listdir(directory))


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports, at any depth (also inside a
    function): ``import p.a``, ``from p.a import b`` (``p.a`` and, in case ``b`` is a
    submodule, ``p.a.b``); relative imports are not used in this package.

    Found with a regular expression rather than :mod:`ast`: the workflow digests
    every stage while Snakemake parses (``snakemake -n``), and parsing ~70 files
    took a third of it. A line that only looks like an import (in a string) adds a
    module to the digest, never removes one; ``tests/test_codedeps_config.py``
    checks the result against :mod:`ast` on every library file."""
    return set(_source(path)[1](package))


def _source(path: Path) -> tuple[bytes, Callable[[str], frozenset[str]]]:
    """The bytes of ``path`` and a function giving the modules of a package it
    imports, cached per file version (mtime and size): the workflow digests ~30
    stages whose closures share most modules, each file is read and parsed once."""
    st = path.stat()
    return _read(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=1024)
def _read(path: Path, _mtime_ns: int, _size: int) -> tuple[bytes, Callable[[str], frozenset[str]]]:
    data = path.read_bytes()
    return data, functools.cache(lambda package: _imports_of(data.decode("utf-8"), package))


_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)|import[ \t]+([^\n#]*))",
    re.MULTILINE,
)


def _imports_of(text: str, package: str) -> frozenset[str]:
    found: set[str] = set()

    def names(text: str) -> list[str]:
        text = re.sub(r"#[^\n]*", "", text).strip().strip("()").replace("\\", " ")
        parts = text.split(",")
        return [p.split()[0] for p in parts if p.split()]

    for m in _IMPORT.finditer(text):
        module, imported, plain = m.groups()
        if module is not None:
            if module.split(".")[0] == package:
                found.add(module)
                found |= {f"{module}.{name}" for name in names(imported)}
        else:
            found |= {n for n in names(plain) if n.split(".")[0] == package}
    return frozenset(found)


def module_closure(module: str, src_root: str | Path) -> list[str]:
    """Sorted names of ``module`` and every module of its package it imports."""
    src_root = Path(src_root)
    package = module.split(".")[0]
    seen: set[str] = set()
    todo = [module]
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        path = _module_file(src_root, mod)
        if path is None:
            if mod == module:
                raise FileNotFoundError(f"module {module!r} not found under {src_root}")
            continue  # ``from pkg.mod import name`` where name is not a module
        seen.add(mod)
        todo.extend(_imports(path, package) - seen)
    return sorted(seen)


def code_digest(module: str, src_root: str | Path) -> str:
    """sha256 (hex, 16 chars) over the sources of :func:`module_closure`."""
    h = hashlib.sha256()
    for mod in module_closure(module, src_root):
        h.update(mod.encode())
        h.update(_source(_module_path(Path(src_root), mod))[0])
    return h.hexdigest()[:16]


def import_jobs_from(src_root: str | Path) -> None:
    """Make every job of this Snakemake run import ``diffcal`` from ``src_root``
    (the checkout whose code the digests cover), whatever is installed, also when
    the workflow is a module of another one or runs in a conda environment: puts
    ``src_root`` first on ``PYTHONPATH`` of this process, which the jobs inherit.
    A job run elsewhere (SLURM) parses the workflow again and sets it again there,
    so the variable need not travel with the job."""
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(src_root), *current])
