"""The user's own code, named by a reference: ``"package.module:function"`` (an
importable module) or ``"path/to/file.py:function"`` (a file; a relative path is
relative to the directory Snakemake runs in). Model factories
(:mod:`diffcal.training.factory`) and attack plugins
(:mod:`diffcal.attacks.plugins`) are loaded here.

Every error is a ValueError of one line that names ``what`` (e.g. ``factory
'net.py:make'`` or ``attack.extra[0] 'mine.py:score'``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any


def split_ref(ref: str, what: str) -> tuple[str, str]:
    """``"a/b.py:f"`` -> ``("a/b.py", "f")``."""
    target, sep, func = str(ref).rpartition(":")
    if not sep or not target or not func:
        raise ValueError(f"{what}: expected 'module:function' or 'file.py:function'")
    return target, func


def ref_file(ref: str, what: str) -> Path:
    """The source file of the reference's module."""
    target, _ = split_ref(ref, what)
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"{what}: file {target} does not exist")
        return path
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError) as e:
        raise ValueError(f"{what}: module {target} cannot be imported ({e})") from None
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ValueError(f"{what}: module {target} cannot be imported")
    return Path(spec.origin)


@functools.cache
def _file_module(path: Path, mtime_ns: int):
    """The module of a file, executed once per file version."""
    name = "diffcal_user_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_line(err: BaseException) -> str:
    """The first line of an exception's message ("" for none)."""
    return str(err).splitlines()[0] if str(err) else ""


def call_user(thunk: Callable[[], Any], what: str) -> Any:
    """``thunk()``: a call of the user's code; whatever it raises comes back as a
    ValueError of one line naming ``what``."""
    try:
        return thunk()
    except Exception as e:  # the user's code: any error, in one line
        raise ValueError(f"{what}: raised {type(e).__name__} {first_line(e)}") from None


def load_callable(ref: str, what: str) -> Callable:
    """The function the reference names."""
    target, func = split_ref(ref, what)
    try:
        if target.endswith(".py"):
            path = ref_file(ref, what).resolve()
            module = _file_module(path, path.stat().st_mtime_ns)
        else:
            module = importlib.import_module(target)
    except ValueError:
        raise
    except Exception as e:  # the user's code: any error, reported in one line
        raise ValueError(
            f"{what}: importing {target} failed: {type(e).__name__} {first_line(e)}"
        ) from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise ValueError(f"{what}: {target} has no function {func!r}")
    return fn


def ref_digest(ref: str, what: str) -> str:
    """sha256 (hex, 16 chars) of the reference's source file (only that file, not
    the modules it imports)."""
    return hashlib.sha256(ref_file(ref, what).read_bytes()).hexdigest()[:16]
