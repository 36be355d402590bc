"""What a config may name for training, without importing torch.

The workflow checks every config while Snakemake parses it (``snakemake -n`` on any
config): these names and defaults are all the check needs, so they live here and
:mod:`diffcal.training.models` / :mod:`diffcal.training.train` (which import torch)
take them from this module. ``tests/unit/config/test_codedeps_config.py`` checks
``MODEL_OPTIONS`` against the builders' signatures.
"""

from __future__ import annotations

from typing import Any

#: A training recipe's keys and defaults (``train:`` and ``forget:`` blocks).
RECIPE_DEFAULTS: dict[str, Any] = {
    "epochs": 50,
    "batch_size": 64,
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 1e-4,
    "schedule": "constant",
    "augment": False,
}
SCHEDULES = ("constant", "cosine")

#: Output heads of the MLP.
MLP_HEADS = ("logits", "softmax")

#: Each registered architecture's keyword options (``model.kwargs``).
MODEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "mlp": ("hidden_mult", "head"),
    "mnist_cnn": (),
    "cifar_cnn": ("input_mean", "input_std"),
    "resnet18_gn": ("input_mean", "input_std"),
}

#: Architectures a config can name: the registry, and ``python`` (your own factory,
#: :mod:`diffcal.training.factory`).
ARCHS = (*MODEL_OPTIONS, "python")
