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

import numpy as np
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


def fits_its_members(
    train_acc: float, labels: np.ndarray, *, alpha: float = 0.01
) -> tuple[bool, float, float]:
    """Whether a given target classifies its own members clearly better than
    always answering their most common class: a one-sided exact binomial test of
    ``train_acc`` (over ``len(labels)`` members) against that class's share.

    A target fed another encoding than the one it trained on (scaled otherwise,
    columns in another order) falls to about that rate; a model that fits its
    training data is far above it.

    Returns:
        (fits, p-value, the majority class's share). ``labels``: ``(n,)`` ints.

    >>> fits_its_members(0.31, np.repeat([0, 1, 2], 100))[0]
    False
    >>> fits_its_members(0.94, np.repeat([0, 1, 2], 100))[0]
    True
    """
    from scipy.stats import binomtest

    y = np.asarray(labels)
    n = len(y)
    majority = float(np.bincount(y).max() / n)
    correct = int(round(train_acc * n))
    if majority >= 1.0:
        return True, 1.0, majority  # one class: no test is possible
    p = float(binomtest(correct, n, majority, alternative="greater").pvalue)
    return p < alpha, p, majority


def check_fits_its_members(train_acc: float, labels: np.ndarray, *, where: str) -> None:
    """ValueError (one line) unless :func:`fits_its_members`; ``where``: the
    config key of the target (the message names its override ``allow_weak``)."""
    ok, p, majority = fits_its_members(train_acc, labels)
    if not ok:
        raise ValueError(
            f"{where}: the given target classifies {train_acc:.1%} of its {len(labels)} "
            f"members correctly, not clearly above the {majority:.1%} of their most "
            f"common class (one-sided binomial p = {p:.2g}). The pipeline feeds it "
            "the data as its source encodes them, which must be the encoding it was "
            "trained on (docs/audit.md, 'The encoding contract'; a table source takes "
            f"your own function as source_kwargs.encoder). Set {where}.allow_weak: true "
            "to audit a deliberately weak target."
        )
