"""Train K image models of one architecture together: ``torch.func.vmap`` over
``functional_call`` on the models' stacked parameters (``stack_module_state``).

The stacked MLP trainer (:mod:`diffcal.training.stacked`) covers the registry's MLPs
with hand-written batched matmuls; CNNs (``mnist_cnn``, ``cifar_cnn``) need
convolutions, pooling and dropout, which ``vmap`` batches for us (a convolution
with a stacked weight becomes one grouped convolution). What no library does is
keep each model's *own* randomness under ``vmap``: ``randomness="different"``
draws every model's dropout masks from one generator. So the dropout layers of
the vmapped copy multiply by masks drawn outside ``vmap``, per model, from the
model's own generator seeded as :func:`diffcal.training.train.train_model` seeds the
global one (``torch.manual_seed(seed)``), with the same shapes, memory layout and
order of draws as ``F.dropout`` on CPU (``empty_like(x).bernoulli_(1 - p) / (1 -
p)``). Batch order and augmentation use each model's batch generator as in
``train_model``; the loss is the sum of the models' own mean losses and SGD is
elementwise, so each model follows its own run. What differs is float rounding
(a grouped convolution against K single ones); ``tests/unit/training/test_vmapped.py`` compares
the trained weights with ``train_model``'s.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from diffcal.core.seeds import torch_generator
from diffcal.training.model_progress import TogetherProgress
from diffcal.training.models import Normalize
from diffcal.training.train import (
    TrainResult,
    augment_batch,
    image_batch,
    image_layout,
    optimizer,
)

log = logging.getLogger("diffcal")

#: Layers the vmapped trainer knows how to run (the registry's CNNs are made of these).
_LAYERS = (
    nn.Sequential,
    nn.Conv2d,
    nn.Linear,
    nn.ReLU,
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.Dropout,
    nn.Flatten,
    Normalize,
)


def vmap_key(model: nn.Module, n: int, has_val: bool, ndim: int) -> tuple | None:
    """Models with equal keys train together; None: this model cannot (a layer
    outside :data:`_LAYERS`, or non-image inputs, which the MLP stack covers)."""
    if ndim != 4 or not all(isinstance(m, _LAYERS) for m in model.modules()):
        return None
    shapes = tuple((k, tuple(v.shape)) for k, v in model.state_dict().items())
    return "vmap", repr(model), shapes, n, has_val


class _MaskedDropout(nn.Module):
    """Dropout by a mask set before each forward call (``mask``: already scaled by
    1 / (1 - p)); identity in eval mode (``mask`` None)."""

    def __init__(self) -> None:
        super().__init__()
        self.mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.mask is None else x * self.mask


def _masked_copy(model: nn.Module) -> tuple[nn.Module, list[float]]:
    """A copy of ``model`` whose ``nn.Dropout`` layers are :class:`_MaskedDropout`,
    and their drop probabilities in forward order."""
    base = copy.deepcopy(model)
    # modules() order is forward order for nested Sequentials, as for the hooks of
    # _dropout_shapes and the replaced layers
    probs = [float(m.p) for m in base.modules() if isinstance(m, nn.Dropout)]
    for parent in list(base.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.Dropout):
                setattr(parent, name, _MaskedDropout())
    return base, probs


def _dropout_shapes(model: nn.Module, x: torch.Tensor) -> list[tuple[tuple, bool]]:
    """Per dropout layer (forward order): the shape of its input for batch ``x``
    without the batch dimension, and whether it is a channels-last image tensor."""
    found = []
    hooks = [
        m.register_forward_hook(
            lambda _m, inp, _out: found.append(
                (
                    tuple(inp[0].shape[1:]),
                    inp[0].ndim == 4 and inp[0].is_contiguous(memory_format=torch.channels_last),
                )
            )
        )
        for m in model.modules()
        if isinstance(m, nn.Dropout)
    ]
    was = model.training
    model.train()
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        model(image_batch(x))
    model.train(was)
    for h in hooks:
        h.remove()
    return found


def _masks(gens, probs, shapes, b: int, device) -> list[torch.Tensor]:
    """``(K, b, ...)`` dropout masks, each model's drawn from its own generator in
    forward order, as ``F.dropout`` draws them on CPU."""
    out = []
    per_model = []
    for g in gens:
        ms = []
        for p, (shape, channels_last) in zip(probs, shapes, strict=True):
            fmt = torch.channels_last if channels_last else torch.contiguous_format
            noise = torch.empty((b, *shape), memory_format=fmt).bernoulli_(1 - p, generator=g)
            ms.append(noise.div_(1 - p))
        per_model.append(ms)
    for j in range(len(probs)):
        out.append(torch.stack([ms[j] for ms in per_model]).to(device))
    return out


def train_vmapped(
    tasks: Sequence[Any], r: dict[str, Any], device: torch.device, patience: int | None
) -> list[TrainResult]:
    """Train ``tasks`` (:class:`diffcal.training.stacked.FitTask`, equal
    :func:`vmap_key`) together; each model in place, as ``train_model`` would."""
    models = [t.model.to(device) for t in tasks]
    for m in models:
        image_layout(m, 4)
    base, probs = _masked_copy(models[0])
    drops = [m for m in base.modules() if isinstance(m, _MaskedDropout)]
    xs = [torch.as_tensor(t.x, dtype=torch.float32, device=device) for t in tasks]
    ys = torch.stack([torch.as_tensor(t.y, dtype=torch.long) for t in tasks]).to(device)
    n = ys.shape[1]
    shapes = _dropout_shapes(models[0], xs[0][:1]) if probs else []
    params, buffers = stack_module_state(models)
    params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    epochs, batch = int(r["epochs"]), int(r["batch_size"])
    opt, sched = optimizer(list(params.values()), r, epochs * math.ceil(n / batch), foreach=True)
    gens = [torch_generator(t.seed) for t in tasks]  # batch order, augmentation
    drop_gens = [torch.Generator().manual_seed(int(t.seed)) for t in tasks]  # dropout

    def one(p, b, x, masks):
        for layer, mask in zip(drops, masks, strict=True):
            layer.mask = mask
        return functional_call(base, (p, b), (x,))

    forward = vmap(one, in_dims=(0, 0, 0, 0))
    every = max(1, epochs // 10)
    progress = TogetherProgress(tasks, patience)

    def write_back(k: int) -> nn.Module:
        with torch.no_grad():
            for name, value in params.items():
                models[k].get_parameter(name).copy_(value[k])
        return models[k]

    base.train()
    for epoch in range(epochs):
        if not any(progress.active):
            break
        orders = [torch.randperm(n, generator=g).to(device) for g in gens]
        logged = (epoch + 1) % every == 0 or epoch + 1 == epochs
        for start in range(0, n, batch):
            idx = [o[start : start + batch] for o in orders]
            xb = torch.stack(
                [
                    augment_batch(x[i], g) if r["augment"] else x[i]
                    for x, i, g in zip(xs, idx, gens, strict=True)
                ]
            )
            yb = torch.stack([y[i] for y, i in zip(ys, idx, strict=True)])
            masks = _masks(drop_gens, probs, shapes, len(idx[0]), device)
            out = forward(params, buffers, xb, masks)  # (K, b, c)
            progress.step(out, yb, opt, sched, logged=logged)
        progress.finish_epoch(epoch, write_back, n=n, logged=logged, r=r)
    return progress.results(write_back)
