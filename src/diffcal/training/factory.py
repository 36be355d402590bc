"""Your own architecture: ``model: {arch: python, factory: REF, kwargs: {...}}``.

``REF`` is ``"package.module:function"`` (an importable module) or
``"path/to/file.py:function"`` (a file; a relative path is relative to the directory
Snakemake runs in). The function is called as ``function(input_shape, num_classes,
**kwargs)`` and returns an ``nn.Module`` mapping ``(n, *input_shape)`` float32 inputs
to ``(n, num_classes)`` logits. It is called with torch's random generator seeded
from the model's seed, so the same config gives the same initial weights.

The factory's source file joins the code digest of the training rules: editing it
reruns the training of the datasets that use it (and what follows), and no other
dataset. Only that file is hashed, not the modules it imports.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the workflow digests factories while parsing: no torch there
    from torch import nn


def _split(ref: str) -> tuple[str, str]:
    target, sep, func = str(ref).rpartition(":")
    if not sep or not target or not func:
        raise ValueError(f"factory {ref!r}: expected 'module:function' or 'file.py:function'")
    return target, func


def factory_file(ref: str) -> Path:
    """The source file of the factory's module."""
    target, _ = _split(ref)
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"factory {ref!r}: file {target} does not exist")
        return path
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError) as e:
        raise ValueError(f"factory {ref!r}: module {target} cannot be imported ({e})") from None
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ValueError(f"factory {ref!r}: module {target} cannot be imported")
    return Path(spec.origin)


@functools.cache
def _file_module(path: Path, mtime_ns: int):
    """The module of a factory file, executed once per file version (every model a
    job builds calls the factory)."""
    name = "diffcal_user_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_factory(ref: str) -> Callable[..., nn.Module]:
    """The factory function; ValueError (one line) if it does not import."""
    target, func = _split(ref)
    try:
        if target.endswith(".py"):
            path = factory_file(ref).resolve()
            module = _file_module(path, path.stat().st_mtime_ns)
        else:
            module = importlib.import_module(target)
    except ValueError:
        raise
    except Exception as e:  # the user's code: any error, reported in one line
        msg = str(e).splitlines()[0] if str(e) else ""
        raise ValueError(
            f"factory {ref!r}: importing {target} failed: {type(e).__name__} {msg}"
        ) from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise ValueError(f"factory {ref!r}: {target} has no function {func!r}")
    return fn


def factory_digest(ref: str) -> str:
    """sha256 (hex, 16 chars) of the factory's source file."""
    return hashlib.sha256(factory_file(ref).read_bytes()).hexdigest()[:16]


def factory_options(ref: str) -> list[str] | None:
    """The keyword arguments the factory takes after ``(input_shape, num_classes)``;
    None when it takes ``**kwargs`` (any option is passed on)."""
    params = list(inspect.signature(load_factory(ref)).parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params[2:] if p.kind is not inspect.Parameter.VAR_POSITIONAL]


def build_from_factory(
    ref: str, input_shape: tuple[int, ...], num_classes: int, **kwargs
) -> nn.Module:
    """Call the factory; ValueError (one line) unless it returns an ``nn.Module``."""
    from torch import nn

    model = load_factory(ref)(tuple(input_shape), num_classes, **kwargs)
    if not isinstance(model, nn.Module):
        raise ValueError(f"factory {ref!r} returned {type(model).__name__}, not an nn.Module")
    return model
