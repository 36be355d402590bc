"""Train many models of one kind together: the K references of all T splits of a
small dataset in one stacked model.

One MLP of the paper's tabular size (61 -> 122 -> 2 on Credit) leaves a CPU core
mostly idle: each SGD step is a few small matmuls and the Python around them. K
MLPs of one shape, stacked along a leading model axis, train in one batched matmul
(``torch.baddbmm``) per layer and step instead of K small ones. Written by hand
because no library trains a stack of *independent* models, each with its own
data order, data and early stopping (``torch.func.vmap`` over ``functional_call``
is generic but measured ~2x slower than the stacked matmuls here; see
``benchmarks/train_together.py``).

Equivalence with :func:`diffcal.training.train.train_model` (one model after another):

- every model draws its batch order from its own generator seeded with its own
  seed, exactly as ``train_model`` does;
- the loss is the sum over models of each model's own mean cross-entropy, so the
  gradient of a model's slice is the gradient of its own loss;
- SGD (momentum, Nesterov, weight decay) is elementwise, so one optimizer over
  the stacked tensors updates each slice as K optimizers would;
- validation accuracy and the kept (best) weights go through the model's own
  ``nn.Module`` and :func:`diffcal.training.train.accuracy`, as in ``train_model``.

What differs is the rounding of a batched matmul against a single one: on our CPU
build the trained weights differ from one-by-one training by ~1e-8 after a few
hundred steps (``tests/test_stacked.py`` checks them within 1e-6, and the kept and
run epochs for equality).

On a GPU, image models made of convolutions, pooling, dropout and linear layers
(the registry's ``mnist_cnn`` and ``cifar_cnn``) train together through
``torch.func.vmap`` instead (:mod:`diffcal.training.vmapped`; on a CPU it did not
pay). Anything else, and models with different training-set sizes, train one after
another.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from diffcal.core.seeds import torch_generator
from diffcal.training.models import mlp_layers
from diffcal.training.train import (
    TogetherProgress,
    TrainResult,
    optimizer,
    pick_device,
    recipe_with_defaults,
    train_model,
)
from diffcal.training.vmapped import train_vmapped, vmap_key

log = logging.getLogger("diffcal")


@dataclass
class FitTask:
    """One model to train: ``x`` ``(n, ...)`` float32, ``y`` ``(n,)`` int64, its
    own ``seed`` (batch order), a ``name`` for the log and an optional validation
    set ``val = (x_val, y_val)`` for early stopping."""

    model: nn.Module
    x: np.ndarray
    y: np.ndarray
    seed: int
    name: str
    val: tuple[np.ndarray, np.ndarray] | None = None


def _stack_key(task: FitTask, augment: bool) -> tuple | None:
    parts = mlp_layers(task.model)
    if parts is None or augment:
        return None
    shapes = tuple(tuple(p.shape) for layer in parts[:2] for p in layer.parameters())
    return shapes, parts[2], len(task.y), task.val is None


def train_together(
    tasks: Sequence[FitTask],
    *,
    recipe: Mapping[str, Any],
    device: torch.device | None = None,
    patience: int | None = None,
    stack: bool = True,
    vmap: bool | None = None,
) -> list[TrainResult]:
    """Train every task's model in place, as :func:`diffcal.training.train.train_model`
    would one after another, stacking those that can be stacked.

    Args:
        tasks: the models with their data, seeds and validation sets.
        recipe: the training recipe shared by all tasks.
        device: where to train (default: CUDA if visible, else CPU).
        patience: early-stopping patience (tasks with ``val`` only).
        stack: False trains one after another (the reference for tests and
            benchmarks).
        vmap: train image models together through :mod:`diffcal.training.vmapped`;
            None (default): on a GPU only. On this project's 2-core CPU it was
            slower than one after another (``benchmarks/train_together.py``, K = 8:
            mnist_cnn 0.63x, cifar_cnn 0.33x), and it would change CPU results in
            float rounding.

    Returns:
        one :class:`~diffcal.training.train.TrainResult` per task, in task order.
    """
    r = recipe_with_defaults(recipe)
    device = device or pick_device()
    vmap = device.type == "cuda" if vmap is None else vmap
    results: list[TrainResult | None] = [None] * len(tasks)
    groups: dict[tuple, list[int]] = {}
    for i, task in enumerate(tasks):
        key = None
        if stack:
            key = _stack_key(task, bool(r["augment"]))
            if key is None and vmap:
                key = vmap_key(task.model, len(task.y), task.val is None, np.ndim(task.x))
        groups.setdefault(("alone", i) if key is None else key, []).append(i)
    for idx in groups.values():
        if len(idx) == 1:
            t = tasks[idx[0]]
            results[idx[0]] = train_model(
                t.model, t.x, t.y, recipe=r, seed=t.seed, device=device, name=t.name,
                val=t.val, patience=patience,
            )  # fmt: skip
            continue
        group = [tasks[i] for i in idx]
        if _stack_key(group[0], bool(r["augment"])) is None:  # image models: vmap
            stacked = train_vmapped(group, r, device, patience)
        else:
            stacked = _train_stack(group, r, device, patience)
        for i, res in zip(idx, stacked, strict=True):
            results[i] = res
    return results  # type: ignore[return-value]


def _train_stack(
    tasks: list[FitTask], r: dict[str, Any], device: torch.device, patience: int | None
) -> list[TrainResult]:
    """Stacked training of registry MLPs with equal layer shapes and sample counts."""
    k_models = len(tasks)
    layers = [mlp_layers(t.model)[:2] for t in tasks]
    softmax_head = mlp_layers(tasks[0].model)[2]  # the same for all (stack key)
    for t in tasks:
        t.model.to(device)
    # (K, h, m), (K, h), (K, c, h), (K, c)
    params = [
        torch.stack([ls[j].weight.detach() if w else ls[j].bias.detach() for ls in layers])
        .clone()
        .requires_grad_(True)
        for j in (0, 1)
        for w in (True, False)
    ]
    w1, b1, w2, b2 = params
    xs = torch.stack([torch.as_tensor(t.x, dtype=torch.float32) for t in tasks]).to(device)
    xs = xs.reshape(k_models, xs.shape[1], -1)  # Flatten
    ys = torch.stack([torch.as_tensor(t.y, dtype=torch.long) for t in tasks]).to(device)
    n = ys.shape[1]
    epochs, batch = int(r["epochs"]), int(r["batch_size"])
    # foreach: one fused call for the four stacked tensors; same elementwise maths
    opt, sched = optimizer(params, r, epochs * math.ceil(n / batch), foreach=True)
    gens = [torch_generator(t.seed) for t in tasks]
    every = max(1, epochs // 10)
    # Batches are gathered from the flattened (K * n, ...) data by one index_select
    # (model k's sample i is row k * n + i): the same rows as xs[rows, idx], a
    # tenth of a step's time less than that two-tensor advanced indexing.
    first_row = torch.arange(k_models, device=device)[:, None] * n
    xs_flat, ys_flat = xs.reshape(k_models * n, -1), ys.reshape(-1)
    progress = TogetherProgress(tasks, patience)

    def write_back(k: int) -> nn.Module:
        m = tasks[k].model
        with torch.no_grad():
            for layer, w, b in ((layers[k][0], w1, b1), (layers[k][1], w2, b2)):
                layer.weight.copy_(w[k])
                layer.bias.copy_(b[k])
        return m

    for epoch in range(epochs):
        if not any(progress.active):
            break
        order = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)
        order += first_row
        logged = (epoch + 1) % every == 0 or epoch + 1 == epochs
        for start in range(0, n, batch):
            flat = order[:, start : start + batch].reshape(-1)  # (K * b,)
            xb = xs_flat.index_select(0, flat).view(k_models, -1, xs.shape[2])
            yb = ys_flat.index_select(0, flat).view(k_models, -1)
            hidden = torch.relu(torch.baddbmm(b1.unsqueeze(1), xb, w1.transpose(1, 2)))
            out = torch.baddbmm(b2.unsqueeze(1), hidden, w2.transpose(1, 2))  # (K, b, c)
            if softmax_head:  # the released code's head: cross-entropy of probabilities
                out = torch.softmax(out, dim=2)
            progress.step(out, yb, opt, sched, logged=logged)
        progress.finish_epoch(epoch, write_back, n=n, logged=logged, r=r)
    return progress.results(write_back)
