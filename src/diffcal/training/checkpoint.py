"""Your trained target: ``target: {checkpoint: FILE, members: FILE}`` in a dataset.

The pipeline then does not train the target: the checkpoint, a ``state_dict`` (or a
dict holding one under ``state_dict``) saved with ``torch.save``, is loaded with
``torch.load(..., weights_only=True)`` into the dataset's architecture (built-in or
``arch: python``). ``members`` lists the sample ids (row positions of the prepared
data) the target was trained on: a ``.npy`` of integers, a ``.parquet`` with a
``sample_id`` column, or a text / CSV file with one id per line (an optional
header). Non-members and the public roles are drawn from the other rows by the
split fractions (:func:`diffcal.data.splits.make_split`). The files are inputs of the
jobs: replacing the checkpoint reruns the target's scoring and everything after it
(and the forgetting references, which start from the target), not the scratch
references; replacing the member list redraws the split.

What the audit assumes: members and non-members come from the same distribution
(the non-members are the rows the target did not train on), and the public rows
the references train on come from it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from diffcal.training.model_files import load_weights_only


def load_checkpoint(path: str | os.PathLike, *, mmap: bool = False) -> dict[str, torch.Tensor]:
    """The state_dict in ``path``, loaded with ``weights_only=True``; ValueError (one
    line) for a file that needs ``weights_only=False`` or holds no state_dict.
    ``mmap``: tensors mapped, not read (the config check of a large checkpoint)."""
    if not Path(path).is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    state = load_weights_only(path, "; save model.state_dict() instead", mmap=mmap)
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not (
        isinstance(state, Mapping)
        and state
        and all(isinstance(v, torch.Tensor) for v in state.values())
    ):
        raise ValueError(f"checkpoint {path} is not a state_dict (a mapping of names to tensors)")
    return dict(state)


def load_into(model: nn.Module, state: Mapping[str, torch.Tensor], path: str) -> nn.Module:
    """Load ``state`` into ``model``; ValueError (one line) naming the first key that
    is missing, unexpected or of another shape."""
    own = model.state_dict()
    for key, tensor in own.items():
        if key not in state:
            raise ValueError(f"checkpoint {path}: no {key!r} (the model's {tuple(tensor.shape)})")
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise ValueError(
                f"checkpoint {path}: {key!r} has shape {tuple(state[key].shape)}, "
                f"the model's is {tuple(tensor.shape)}"
            )
    extra = [k for k in state if k not in own]
    if extra:
        raise ValueError(f"checkpoint {path}: unexpected key {extra[0]!r} (not in the model)")
    model.load_state_dict(state)
    return model.eval()
