"""Model files (``*.pt``): the models of a training job with their metadata.

A file holds only tensors and plain Python types (dict, list, str, int, float, bool,
None), so it loads with ``torch.load(..., weights_only=True)``: a file that holds
anything else (a pickled object that could run code) is refused with one line.
Numpy arrays in the metadata (sample ids) are stored as tensors and read back as
numpy arrays; numpy scalars are stored as Python numbers.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from diffcal.core.io import atomic_path
from diffcal.training.models import model_spec, new_model

__all__ = [
    "ModelFileError",
    "load_entries",
    "load_models",
    "model_spec",
    "new_model",
    "save_models",
]


class ModelFileError(ValueError):
    """A ``.pt`` file is not a diffcal model file that can be loaded safely."""


def _to_plain(value: Any) -> Any:
    """Metadata as tensors and plain types (what ``weights_only=True`` accepts)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_to_plain(v) for v in value)
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    return value


def _from_plain(value: Any) -> Any:
    """Inverse of :func:`_to_plain` for metadata: tensors back to numpy arrays."""
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {k: _from_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_from_plain(v) for v in value)
    return value


def save_models(path: str | os.PathLike, spec: Mapping[str, Any], entries: list[dict]) -> None:
    """Save models with their metadata (seed, training ids, recipe, accuracies).

    ``entries``: dicts with a ``model`` (nn.Module) plus JSON-like metadata.
    """
    payload = {
        "spec": _to_plain(dict(spec)),
        "models": [
            {
                **{k: _to_plain(v) for k, v in e.items() if k != "model"},
                "state_dict": portable_state(e["model"]),
            }
            for e in entries
        ],
    }
    save_payload(payload, path)


def portable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s state dict as detached, contiguous CPU tensors: the file does not
    depend on the device or the training memory layout."""
    return {k: t.detach().cpu().contiguous() for k, t in model.state_dict().items()}


def save_payload(payload: Any, path: str | os.PathLike) -> None:
    """``torch.save`` ``payload`` to ``path`` atomically, serialised in memory:
    torch.save names the zip archive's records after the file it writes to, so
    saving to the temporary file would put its random name into the bytes (two
    identical runs would differ). A buffer's records are always named "archive/"."""
    buf = io.BytesIO()
    torch.save(payload, buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def copy_models(
    src: str | os.PathLike, dst: str | os.PathLike, train_ids: Mapping[tuple[int, int], Any]
) -> None:
    """Copy the model file ``src`` to ``dst`` (atomically, byte for byte) after
    checking that it holds exactly the models ``(split, index)`` of ``train_ids``,
    each trained on those ids: a file shared between variants
    (:func:`diffcal.config.views.reference_variant`) must be the one this variant
    would have trained. Raises :class:`ModelFileError` otherwise."""
    payload = load_weights_only(src)
    got = {(int(m["split"]), int(m["index"])): m["train_ids"] for m in payload["models"]}
    if set(got) != set(train_ids):
        raise ModelFileError(
            f"{src}: holds models {sorted(got)}, expected {sorted(train_ids)} to share"
        )
    for key, ids in train_ids.items():
        if not np.array_equal(np.asarray(got[key]), np.asarray(ids)):
            raise ModelFileError(
                f"{src}: model (split, index) {key} trained on other samples than this "
                "variant's split gives it: it cannot be shared"
            )
    data = Path(src).read_bytes()
    with atomic_path(dst) as tmp:
        tmp.write_bytes(data)


def load_weights_only(path: str | os.PathLike, hint: str = "", *, mmap: bool = False) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU; a file that holds other
    objects (a pickle that could run code) is refused with one
    :class:`ModelFileError` line naming the file, and ``hint`` if given. ``mmap``:
    map the tensors instead of reading them (a check of a large file; files in
    torch's legacy format are read whole)."""
    try:
        if mmap:
            try:
                return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError as e:
                if "mmap" not in str(e):
                    raise
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelFileError(
            f"{path}: refused to load: it holds objects other than tensors and plain "
            f"types, which could run code and would need weights_only=False "
            f"({first[:160]}){hint}"
        ) from None


def load_models(
    path: str | os.PathLike, device: torch.device | None = None
) -> tuple[dict[str, Any], list[dict]]:
    """Inverse of :func:`save_models`: the spec, and metadata dicts with a ``model``."""
    payload = load_weights_only(path)
    if not (isinstance(payload, dict) and {"spec", "models"} <= set(payload)):
        raise ModelFileError(f"{path}: not a diffcal model file (no 'spec' and 'models')")
    out = []
    for entry in payload["models"]:
        model = new_model(payload["spec"], seed=0)
        model.load_state_dict(entry["state_dict"])
        model.eval()
        if device is not None:
            model.to(device)
        meta = {k: _from_plain(v) for k, v in entry.items() if k != "state_dict"}
        out.append({**meta, "model": model})
    return payload["spec"], out


def load_entries(
    paths: str | os.PathLike | Sequence[str | os.PathLike], device: torch.device | None = None
) -> list[dict]:
    """The entries of one model file or of several (a set's chunk files, in chunk
    order), as :func:`load_models` gives them."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    return [e for p in paths for e in load_models(p, device=device)[1]]
