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
from collections.abc import Mapping
from pathlib import Path
from typing import Any


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
    module to the digest, never removes one; ``tests/unit/config/test_codedeps_config.py``
    checks the result against :mod:`ast` on every library file."""
    return set(_imports_of(path, package, _stamp(path)))


def _stamp(path: Path) -> tuple[int, int]:
    """A file's version: (mtime in ns, size)."""
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=1024)
def _read(path: Path, _version: tuple[int, int]) -> bytes:
    """The bytes of ``path`` at ``_version`` (:func:`_stamp`): the workflow digests
    ~30 stages whose closures share most modules; each file is read once."""
    return path.read_bytes()


_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)|import[ \t]+([^\n#]*))",
    re.MULTILINE,
)


@functools.lru_cache(maxsize=1024)
def _imports_of(path: Path, package: str, version: tuple[int, int]) -> frozenset[str]:
    found: set[str] = set()

    def names(text: str) -> list[str]:
        text = re.sub(r"#[^\n]*", "", text).strip().strip("()").replace("\\", " ")
        parts = text.split(",")
        return [p.split()[0] for p in parts if p.split()]

    for m in _IMPORT.finditer(_read(path, version).decode("utf-8")):
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
    return sorted(_closure(module, Path(src_root)))


def _closure(module: str, src_root: Path) -> dict[str, Path]:
    """``module`` and every module of its package it imports, with their files."""
    package = module.split(".")[0]
    seen: dict[str, Path] = {}
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
        seen[mod] = path
        todo.extend(_imports(path, package) - seen.keys())
    return seen


def code_digest(module: str, src_root: str | Path) -> str:
    """sha256 (hex, 16 chars) over the sources of :func:`module_closure`."""
    h = hashlib.sha256()
    for mod, path in sorted(_closure(module, Path(src_root)).items()):
        h.update(mod.encode())
        h.update(_read(path, _stamp(path)))
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


class Digests:
    """The ``code`` param of every rule: the digest of the library code its stage
    runs, plus the user's own files it runs (attack plugins, a model factory, a
    table encoder), so that an edit reruns exactly the jobs that run it."""

    def __init__(self, config: Mapping[str, Any], src_root: str | Path):
        self.config = config
        self.src = Path(src_root)

    def code(self, stage: str) -> str:
        """Digest of the library code a stage runs: edits there rerun the rule."""
        return code_digest(f"diffcal.stages.{stage}", self.src)

    def attack_code(self, stage: str) -> str:
        """:meth:`code` plus the attack plugins' files (`attack.extra`): editing
        one reruns the attacks and what follows, no training."""
        from diffcal.attacks.plugins import plugins_digest

        return self.code(stage) + plugins_digest(self.config["attack"]["extra"])

    def train_code(self, stage: str):
        """A training stage's digest, plus the dataset's own model file (arch:
        python): editing that file retrains the datasets that use it, only those.
        A function of the job's wildcards."""
        from diffcal.training.factory import factory_digest

        base = self.code(stage)

        def digest(w):
            ref = self.config["datasets"][w.dataset]["model"].get("factory")
            return base + (factory_digest(ref) if ref else "")

        return digest

    def source_code(self, w) -> str:
        """Digest of the prepare stage, of the one loader module of the dataset's
        source (editing another dataset's loader does not rerun this dataset) and
        of its `encoder` file, if it has one."""
        from diffcal.core.user_code import ref_digest
        from diffcal.data.registry import source_module

        ds = self.config["datasets"][w.dataset]
        encoder = (ds.get("source_kwargs") or {}).get("encoder")
        extra = ref_digest(encoder, "source_kwargs.encoder") if encoder else ""
        return self.code("prepare") + code_digest(source_module(ds["source"]), self.src) + extra
