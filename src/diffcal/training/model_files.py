"""Helpers shared by the training and scoring stages: model files."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any

import torch

from diffcal.core.io import atomic_path
from diffcal.training.models import model_spec, new_model

__all__ = ["load_models", "model_spec", "new_model", "save_models"]


def save_models(path: str | os.PathLike, spec: Mapping[str, Any], entries: list[dict]) -> None:
    """Save models with their metadata (seed, training ids, recipe, accuracies).

    ``entries``: dicts with a ``model`` (nn.Module) plus JSON-like metadata.
    """
    payload = {
        "spec": dict(spec),
        "models": [
            {
                **{k: v for k, v in e.items() if k != "model"},
                "state_dict": {
                    # contiguous: the file does not depend on the training memory layout
                    k: t.detach().cpu().contiguous()
                    for k, t in e["model"].state_dict().items()
                },
            }
            for e in entries
        ],
    }
    # Serialise in memory: torch.save names the zip archive's records after the
    # file it writes to, so saving to the temporary file would put its random name
    # into the bytes (two identical runs would differ). A buffer's records are
    # always named "archive/".
    buf = io.BytesIO()
    torch.save(payload, buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def load_models(
    path: str | os.PathLike, device: torch.device | None = None
) -> tuple[dict[str, Any], list[dict]]:
    """Inverse of :func:`save_models`: the spec, and metadata dicts with a ``model``."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    out = []
    for entry in payload["models"]:
        model = new_model(payload["spec"], seed=0)
        model.load_state_dict(entry["state_dict"])
        model.eval()
        if device is not None:
            model.to(device)
        out.append({**{k: v for k, v in entry.items() if k != "state_dict"}, "model": model})
    return payload["spec"], out
