"""Digests of library code, so Snakemake reruns a rule when the code it runs changes.

Snakemake tracks the ``script:`` file of a rule but not the library modules that
script imports. :func:`code_digest` hashes a module together with every
``diffcal`` module it imports (transitively, found by parsing the source), so a
rule whose ``params`` carry the digest reruns exactly when that code changes.
"""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path


def _module_path(src_root: Path, module: str) -> Path:
    base = src_root.joinpath(*module.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    raise FileNotFoundError(f"module {module!r} not found under {src_root}")


def _imports(path: Path, package: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == package:
                found.add(node.module)
                # ``from diffcal import attacks`` imports a submodule.
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


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
        try:
            path = _module_path(src_root, mod)
        except FileNotFoundError:
            if mod == module:
                raise
            continue  # ``from pkg.mod import name`` where name is not a module
        seen.add(mod)
        todo.extend(_imports(path, package) - seen)
    return sorted(seen)


def code_digest(module: str, src_root: str | Path) -> str:
    """sha256 (hex, 16 chars) over the sources of :func:`module_closure`."""
    h = hashlib.sha256()
    for mod in module_closure(module, src_root):
        h.update(mod.encode())
        h.update(_module_path(Path(src_root), mod).read_bytes())
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
