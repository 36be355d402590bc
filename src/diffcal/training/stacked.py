"""Train many models of one kind together: the K references of all T splits of a
small dataset in one stacked model.

One MLP of the paper's tabular size (61 -> 122 -> 2 on Credit) leaves a CPU core
mostly idle: each SGD step is a few small matmuls and the Python around them. K
MLPs of one shape, stacked along a leading model axis, train in one batched matmul
(``torch.baddbmm``) per layer and step instead of K small ones, with the backward
pass written out (:class:`StackedMLP`: autograd's kernels without its per-node
work; the same gradients bit for bit). Written by hand
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
hundred steps (``tests/unit/training/test_stacked.py`` checks them within 1e-6, and the kept and
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
from diffcal.training.model_progress import TogetherProgress
from diffcal.training.models import mlp_layers
from diffcal.training.train import (
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
    for idx in _groups(tasks, bool(r["augment"]), stack, vmap):
        if len(idx) == 1:
            t = tasks[idx[0]]
            results[idx[0]] = train_model(
                t.model,
                t.x,
                t.y,
                recipe=r,
                seed=t.seed,
                device=device,
                name=t.name,
                val=t.val,
                patience=patience,
            )
            continue
        group = [tasks[i] for i in idx]
        if _stack_key(group[0], bool(r["augment"])) is None:  # image models: vmap
            stacked = train_vmapped(group, r, device, patience)
        else:
            stacked = _train_stack(group, r, device, patience)
        for i, res in zip(idx, stacked, strict=True):
            results[i] = res
    return results  # type: ignore[return-value]


def _groups(tasks: Sequence[FitTask], augment: bool, stack: bool, vmap: bool) -> list[list[int]]:
    """Indices of the tasks that train together (one list per stack or vmapped
    group, a task alone in its own), in order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    for i, task in enumerate(tasks):
        key = None
        if stack:
            key = _stack_key(task, augment)
            if key is None and vmap:
                key = vmap_key(task.model, len(task.y), task.val is None, np.ndim(task.x))
        groups.setdefault(("alone", i) if key is None else key, []).append(i)
    return list(groups.values())


class StackedMLP:
    """K registry MLPs of one shape stacked along a leading model axis, their
    parameters in one flat tensor, with one SGD step's forward and backward pass
    written out.

    The backward pass is written by hand, out of the ATen kernels autograd calls for
    the same graph (``baddbmm``'s, ReLU's, ``log_softmax``'s, ``nll_loss``'s and
    ``softmax``'s backward formulas, with autograd's operand layouts), because
    autograd's per-node work, the copies it makes of the transposed weight
    gradients and an optimizer over four tensors cost more than the matmuls at this
    size (``benchmarks/train_together.py``). The gradients are autograd's bit for
    bit (``tests/unit/training/test_stacked_step.py``), so training is unchanged; the flat tensor
    lets :class:`~diffcal.training.train.SGD` update all parameters in one call
    per elementwise operation, the same operations on the same elements.

    Args:
        layers: each model's ``(first Linear, second Linear)``.
        softmax_head: the output is softmax probabilities (the released code's head).
        device: where the stack lives.
    """

    def __init__(
        self,
        layers: Sequence[tuple[nn.Linear, nn.Linear]],
        softmax_head: bool,
        device: torch.device,
    ) -> None:
        self.layers, self.softmax_head = list(layers), softmax_head
        # (K, h, m), (K, h), (K, c, h), (K, c)
        parts = [
            torch.stack([getattr(ls[j], name).detach() for ls in self.layers])
            for j in (0, 1)
            for name in ("weight", "bias")
        ]
        self.shapes = [p.shape for p in parts]
        self.flat = torch.cat([p.reshape(-1) for p in parts]).to(device)
        self.flat.grad = torch.empty_like(self.flat)  # every step writes all of it
        self.w1, self.b1, self.w2, self.b2 = self._views(self.flat)
        self.gw1, self.gb1, self.gw2, self.gb2 = self._views(self.flat.grad)
        # the operands of the forward pass, views that follow the updates in place
        self._b1, self._w1t = self.b1.unsqueeze(1), self.w1.transpose(1, 2)
        self._b2, self._w2t = self.b2.unsqueeze(1), self.w2.transpose(1, 2)
        # scratch of a step, reused: per batch size b the backward pass's 1 / b and
        # the hidden layer and its gradient; the weight gradients in bmm's layout
        self._scratch: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self._gw1t, self._gw2t = (
            self.flat.new_empty(self._w1t.shape),
            self.flat.new_empty(self._w2t.shape),
        )  # (K, m, h), (K, h, c)

    def _views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        sizes = [math.prod(shape) for shape in self.shapes]
        return [v.view(shape) for v, shape in zip(flat.split(sizes), self.shapes, strict=True)]

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward ``xb`` ``(K, b, m)`` and write the gradient of the sum over models of
        each model's mean cross-entropy on its labels ``yb`` ``(K * b,)`` into
        ``self.flat.grad``. Returns the per-sample losses ``(K, b)`` and the outputs
        ``(K, b, c)``."""
        k_models, b = xb.shape[:2]
        c = self.shapes[3][1]
        if b not in self._scratch:
            shape = (k_models, b, self.shapes[0][1])
            # d(sum of means)/d(nll) = 1/b (autograd divides the ones by b)
            ones = torch.ones(k_models * b, device=xb.device).div_(b)
            self._scratch[b] = (ones, xb.new_empty(shape), xb.new_empty(shape))
        ones, hid, ghid = self._scratch[b]
        torch.baddbmm(self._b1, xb, self._w1t, out=hid).relu_()
        out = torch.baddbmm(self._b2, hid, self._w2t)  # (K, b, c)
        head = torch.softmax(out, dim=2) if self.softmax_head else out
        logp = torch.log_softmax(head.view(-1, c), 1)  # = F.cross_entropy's two steps
        nll, total_weight = torch.ops.aten.nll_loss_forward(logp, yb, None, 0, -100)
        # backward
        grad = torch.ops.aten.nll_loss_backward(ones, logp, yb, None, 0, -100, total_weight)
        grad = torch.ops.aten._log_softmax_backward_data(grad, logp, 1, logp.dtype)
        grad = grad.view(k_models, b, c)
        if self.softmax_head:
            grad = torch.ops.aten._softmax_backward_data(grad, head, 2, head.dtype)
        # baddbmm(bias, input, weight^T): bias <- sum over the batch; weight^T <-
        # input^T @ grad (copied into the weight's layout, as autograd's
        # AccumulateGrad does); input <- grad @ weight
        torch.sum(grad, 1, out=self.gb2)
        self.gw2.copy_(torch.bmm(hid.transpose(1, 2), grad, out=self._gw2t).transpose(1, 2))
        torch.bmm(grad, self.w2, out=ghid)  # then ReLU's backward, in place
        torch.ops.aten.threshold_backward.grad_input(ghid, hid, 0, grad_input=ghid)
        torch.sum(ghid, 1, out=self.gb1)
        self.gw1.copy_(torch.bmm(xb.transpose(1, 2), ghid, out=self._gw1t).transpose(1, 2))
        return nll.view(k_models, b), out

    def write_back(self, k: int) -> None:
        """Copy model ``k``'s current weights into its ``nn.Linear`` layers."""
        with torch.no_grad():
            for layer, w, b in zip(
                self.layers[k], (self.w1, self.w2), (self.b1, self.b2), strict=True
            ):
                layer.weight.copy_(w[k])
                layer.bias.copy_(b[k])


def _train_stack(
    tasks: list[FitTask], r: dict[str, Any], device: torch.device, patience: int | None
) -> list[TrainResult]:
    """Stacked training of registry MLPs with equal layer shapes and sample counts."""
    k_models = len(tasks)
    for t in tasks:
        t.model.to(device)
    stack = StackedMLP(
        [mlp_layers(t.model)[:2] for t in tasks], mlp_layers(tasks[0].model)[2], device
    )
    xs = torch.stack([torch.as_tensor(t.x, dtype=torch.float32) for t in tasks]).to(device)
    xs = xs.reshape(k_models, xs.shape[1], -1)  # Flatten
    ys = torch.stack([torch.as_tensor(t.y, dtype=torch.long) for t in tasks]).to(device)
    n = ys.shape[1]
    epochs, batch = int(r["epochs"]), int(r["batch_size"])
    opt, sched = optimizer([stack.flat], r, epochs * math.ceil(n / batch), in_place=True)
    gens = [torch_generator(t.seed) for t in tasks]
    every = max(1, epochs // 10)
    # Each epoch gathers every model's samples in its own order from the flattened
    # (K * n, ...) data by one index_select (model k's sample i is row k * n + i),
    # batch after batch: a step's (K, b) block is then one contiguous slice, with
    # the same rows as xs[rows, idx].
    first_row = torch.arange(k_models, device=device)[:, None] * n
    xs_flat, ys_flat = xs.reshape(k_models * n, -1), ys.reshape(-1)
    sizes = [min(batch, n - start) for start in range(0, n, batch)]
    blocks = [k_models * b for b in sizes]  # rows of a step's (K, b) block
    progress = TogetherProgress(tasks, patience)

    def write_back(k: int) -> nn.Module:
        stack.write_back(k)
        return tasks[k].model

    for epoch in range(epochs):
        if not any(progress.active):
            break
        order = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)
        rows = torch.cat([b.reshape(-1) for b in (order + first_row).split(sizes, dim=1)])
        x_epoch, y_epoch = xs_flat.index_select(0, rows), ys_flat.index_select(0, rows)
        logged = (epoch + 1) % every == 0 or epoch + 1 == epochs
        for xb, yb in zip(x_epoch.split(blocks), y_epoch.split(blocks), strict=True):
            with torch.no_grad():
                nll, out = stack.step(xb.view(k_models, -1, xs.shape[2]), yb)
                opt.step()
            if sched is not None:
                sched.step()
            progress.record(nll, out, yb.view(k_models, -1), logged=logged)
        progress.finish_epoch(epoch, write_back, n=n, logged=logged, r=r)
    return progress.results(write_back)
