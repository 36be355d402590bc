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

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from diffcal.core.user_code import load_callable, ref_digest, ref_file

if TYPE_CHECKING:  # the workflow digests factories while parsing: no torch there
    from torch import nn


def _what(ref: str) -> str:
    return f"factory {ref!r}"


def factory_file(ref: str) -> Path:
    """The source file of the factory's module."""
    return ref_file(ref, _what(ref))


def load_factory(ref: str) -> Callable[..., nn.Module]:
    """The factory function; ValueError (one line) if it does not import."""
    return load_callable(ref, _what(ref))


def factory_digest(ref: str) -> str:
    """sha256 (hex, 16 chars) of the factory's source file."""
    return ref_digest(ref, _what(ref))


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
