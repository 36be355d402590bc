"""Training loops: SGD with Nesterov momentum, constant or cosine schedule.

Randomness (batch order, dropout) comes from the model's own seed, so a model is a
function of (data, recipe, seed). On CPU, deterministic algorithms are enforced.
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from diffcal.core.seeds import torch_generator
from diffcal.training.spec import RECIPE_DEFAULTS, SCHEDULES

log = logging.getLogger("diffcal")


def pick_device() -> torch.device:
    """CUDA if this job can see a GPU, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup_torch(threads: int) -> torch.device:
    """Use ``threads`` CPU threads and deterministic kernels; return the device."""
    torch.set_num_threads(max(1, int(threads)))
    # = torch.use_deterministic_algorithms(True, warn_only=True) for eager code;
    # that function also sets torch.compile's flag, importing torch._inductor and
    # torch._dynamo (2.5-3.7 s on the dev machine: a scoring job's start doubled).
    torch.set_deterministic_debug_mode("warn")
    device = pick_device()
    env = {k: os.environ.get(k, "-") for k in ("SLURM_JOB_ID", "CUDA_VISIBLE_DEVICES")}
    log.info(
        "device %s, %d threads, %s",
        device,
        torch.get_num_threads(),
        " ".join(f"{k}={v}" for k, v in env.items()),
    )
    return device


def image_layout(model: nn.Module, ndim: int) -> None:
    """Put ``model`` in channels-last memory layout if its inputs are image batches
    (``ndim == 4``); :func:`image_batch` converts the batches to match.

    Same maths, other memory order: on CPU, oneDNN's convolutions run ~1.4x faster
    on channels-last tensors (mnist_cnn, one thread, batch 128). Results
    can differ from the default layout in float32 rounding only. Model files are
    saved contiguous (``save_models``), so they do not depend on the layout.
    """
    if ndim == 4:
        model.to(memory_format=torch.channels_last)


def image_batch(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels-last layout if it is an image batch ``(b, C, H, W)``."""
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x


def recipe_with_defaults(recipe: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(recipe) - set(RECIPE_DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown training keys {sorted(unknown)}; allowed: {sorted(RECIPE_DEFAULTS)}"
        )
    out = {**RECIPE_DEFAULTS, **recipe}
    if out["schedule"] not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {out['schedule']!r}")
    return out


def augment_batch(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop with zero padding ``pad`` and random horizontal flip, per sample.

    ``x``: ``(b, C, H, W)`` -> ``(b, C, H, W)``. Written with index arithmetic
    (torchvision's transforms work per image and draw from the global RNG).
    """
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen).to(x.device)
    flip = (torch.rand(b, generator=gen) < 0.5).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = torch.arange(w, device=x.device).expand(b, w)
    cols = torch.where(flip[:, None], cols.flip(1), cols) + dx[:, None]
    bi = torch.arange(b, device=x.device)[:, None, None, None]
    ci = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[bi, ci, rows, cols[:, None, None, :]]


def sgd_options(recipe: Mapping[str, Any]) -> dict[str, Any]:
    """The recipe's SGD hyperparameters (``lr``, ``momentum``, ``nesterov`` only with
    momentum, ``weight_decay``), as :class:`torch.optim.SGD` and :class:`SGD` take
    them. ``recipe`` has every key (:func:`recipe_with_defaults`)."""
    return {
        "lr": recipe["lr"],
        "momentum": recipe["momentum"],
        "nesterov": bool(recipe["nesterov"]) and recipe["momentum"] > 0,
        "weight_decay": recipe["weight_decay"],
    }


def sgd(params, recipe: Mapping[str, Any], **kwargs: Any) -> torch.optim.SGD:
    """The recipe's :class:`torch.optim.SGD` over ``params`` (DP-SGD: Opacus wraps
    it); ``kwargs`` go to it (e.g. ``foreach``)."""
    return torch.optim.SGD(params, **sgd_options(recipe), **kwargs)


class SGD:
    """The recipe's SGD (momentum, Nesterov, weight decay) for the non-private
    training loops: torch's own update, :func:`torch.optim.sgd.sgd` (the function
    :meth:`torch.optim.SGD.step` calls, with the arguments it passes), without
    :class:`torch.optim.Optimizer`.

    Written by hand because that base class runs its constructor, ``zero_grad`` and
    ``step`` through ``torch._disable_dynamo`` wrappers, which import
    ``torch._dynamo`` on first use: 1.5-2.6 s at the start of every training job
    (``benchmarks/train_startup.py``), which compiles nothing. The same parameters bit for bit as
    :class:`torch.optim.SGD` (``tests/unit/training/test_train_sgd.py``). DP-SGD keeps
    :class:`torch.optim.SGD` (:func:`sgd`), which Opacus wraps.

    Args:
        params: the tensors to train (leaves with ``requires_grad``, or any tensor
            whose ``.grad`` is set before each step, as
            :class:`diffcal.training.stacked.StackedMLP`'s flat parameters).
        recipe: the training recipe (:func:`sgd_options`).
        foreach: as :class:`torch.optim.SGD`'s (None: torch's default for the device).
        in_place: the gradients are scratch, rewritten before every step
            (:class:`diffcal.training.stacked.StackedMLP`): weight decay and the
            Nesterov look-ahead are added to them in place instead of into new
            tensors (torch's single-tensor update otherwise, operation for
            operation; two fewer allocations and passes over memory per step).
    """

    def __init__(
        self,
        params,
        recipe: Mapping[str, Any],
        *,
        foreach: bool | None = None,
        in_place: bool = False,
    ):
        self.params = list(params)
        options = sgd_options(recipe)
        self.lr, self.momentum = options["lr"], options["momentum"]
        self.nesterov, self.weight_decay = options["nesterov"], options["weight_decay"]
        self.foreach, self.in_place = foreach, in_place
        self._buffers: list[torch.Tensor | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        if self.in_place:
            self._step_in_place()
            return
        from torch.optim.sgd import sgd as sgd_update

        idx = [i for i, p in enumerate(self.params) if p.grad is not None]
        params = [self.params[i] for i in idx]
        # as torch.optim.SGD: the buffers only with momentum, None before the first step
        buffers = [self._buffers[i] for i in idx] if self.momentum != 0 else []
        sgd_update(
            params,
            [p.grad for p in params],
            buffers,
            weight_decay=self.weight_decay,
            momentum=self.momentum,
            lr=self.lr,
            dampening=0,
            nesterov=self.nesterov,
            maximize=False,
            has_sparse_grad=any(p.grad.is_sparse for p in params),
            foreach=self.foreach,
            fused=None,
            grad_scale=None,
            found_inf=None,
        )
        if self.momentum != 0:  # sgd_update filled in the first step's buffers
            for i, buf in zip(idx, buffers, strict=True):
                self._buffers[i] = buf

    def _step_in_place(self) -> None:
        # torch.optim.sgd._single_tensor_sgd (maximize off, no dampening, float lr)
        # with grad.add(...) replaced by grad.add_(...): the same values
        for i, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            if self.weight_decay != 0:
                grad.add_(param, alpha=self.weight_decay)
            if self.momentum != 0:
                buf = self._buffers[i]
                if buf is None:
                    buf = self._buffers[i] = grad.detach().clone()
                else:
                    buf.mul_(self.momentum).add_(grad, alpha=1)
                if self.nesterov:
                    grad.add_(buf, alpha=self.momentum)
                else:
                    grad = buf
            param.add_(grad, alpha=-self.lr)


class CosineLR:
    """:class:`torch.optim.lr_scheduler.CosineAnnealingLR` (``eta_min`` 0) for
    :class:`SGD`: the same recursive formula, hence the same learning rates bit for
    bit (``tests/unit/training/test_train_sgd.py``); ``step()`` after each optimizer step."""

    def __init__(self, opt: SGD, t_max: int) -> None:
        if t_max < 1:
            raise ValueError(f"cosine schedule needs at least one step, got {t_max}")
        self.opt, self.t_max, self.base_lr, self.last = opt, t_max, opt.lr, 0

    def step(self) -> None:
        self.last += 1
        e, t, eta_min, lr = self.last, self.t_max, 0.0, self.opt.lr
        if (e - 1 - t) % (2 * t) == 0:
            self.opt.lr = lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / t)) / 2
        else:
            self.opt.lr = (1 + math.cos(math.pi * e / t)) / (
                1 + math.cos(math.pi * (e - 1) / t)
            ) * (lr - eta_min) + eta_min


def optimizer(
    params,
    recipe: Mapping[str, Any],
    steps: int,
    *,
    foreach: bool | None = None,
    in_place: bool = False,
) -> tuple[SGD, CosineLR | None]:
    """The recipe's :class:`SGD` over ``params`` and, with ``schedule: cosine``, its
    :class:`CosineLR` over ``steps`` optimizer steps (else None)."""
    opt = SGD(params, recipe, foreach=foreach, in_place=in_place)
    cosine = recipe["schedule"] == "cosine" and steps > 0
    return opt, CosineLR(opt, steps) if cosine else None


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_model` did. ``best_epoch`` (counted from 1) and
    ``best_val_acc`` are set only with early stopping."""

    model: nn.Module
    epochs_run: int
    best_epoch: int | None = None
    best_val_acc: float | None = None


def train_model(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    recipe: Mapping[str, Any],
    seed: int,
    device: torch.device | None = None,
    name: str = "model",
    val: tuple[np.ndarray, np.ndarray] | None = None,
    patience: int | None = None,
    on_epoch: Callable[[int, nn.Module], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``x``: ``(n, ...)`` float32, ``y``: ``(n,)`` int64;
    one progress line per tenth of the epochs (loss, train accuracy).

    Early stopping (paper section 4.1: reference models "were trained until their
    validation accuracy reached its maximum value"): with ``val = (x_val, y_val)``,
    the weights of the first epoch with the highest validation accuracy are kept
    (:class:`_Best`); training stops after ``patience`` epochs without a gain
    (``None``: all ``recipe["epochs"]``). The batch order and schedule are those of
    the full run, so stopping early never changes the epochs before it.
    ``on_epoch(epochs_done, model)`` runs after every epoch (before early stopping's
    check); with the constant schedule, the model it sees after epoch k is the model
    a k-epoch run of the same recipe ends with."""
    r = recipe_with_defaults(recipe)
    if patience is not None and val is None:
        raise ValueError(f"{name}: patience needs a validation set")
    device = device or pick_device()
    model.to(device)
    xt = torch.as_tensor(x, dtype=torch.float32, device=device)
    yt = torch.as_tensor(y, dtype=torch.long, device=device)
    n = len(yt)
    if r["augment"] and xt.ndim != 4:
        raise ValueError(f"{name}: augment needs image inputs (n, C, H, W), got {tuple(xt.shape)}")
    image_layout(model, xt.ndim)  # before the optimizer holds the parameters
    epochs = int(r["epochs"])
    batch = int(r["batch_size"])
    opt, sched = optimizer(model.parameters(), r, epochs * math.ceil(n / batch))
    gen = torch_generator(seed)
    every = max(1, epochs // 10)
    best = _Best(name, patience)
    epochs_run = 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout masks
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(n, generator=gen).to(device)
            total, correct = _epoch(model, xt, yt, order, batch, opt, sched, gen, r["augment"])
            _check_finite(total, name, epoch, r["lr"])
            if (epoch + 1) % every == 0 or epoch + 1 == epochs:
                _log_progress(name, epoch + 1, epochs, total / n, correct / n)
            epochs_run = epoch + 1
            if on_epoch is not None:
                on_epoch(epochs_run, model)
            if val is not None and best.stop(epoch + 1, model, accuracy(model, *val)):
                break
    return best.restore(model, epochs_run, val is not None)


def _log_progress(name: str, done: int, epochs: int, loss: float, acc: float) -> None:
    log.info("%s epoch %d/%d loss %.4f train-acc %.4f", name, done, epochs, loss, acc)


def _check_finite(total: float, name: str, epoch: int, lr: float) -> None:
    if not math.isfinite(total):
        raise FloatingPointError(
            f"{name}: training diverged (non-finite loss) in epoch {epoch + 1}; "
            f"lower the learning rate (lr={lr})"
        )


def _epoch(model, xt, yt, order, batch, opt, sched, gen, augment) -> tuple[float, int]:
    """One pass over ``order`` in batches: (summed loss, correct predictions)."""
    total, correct = 0.0, 0
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        xb = augment_batch(xt[idx], gen) if augment else xt[idx]
        out = model(image_batch(xb))
        loss = F.cross_entropy(out, yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        total += float(loss.detach()) * len(idx)
        correct += int((out.argmax(1) == yt[idx]).sum())
    return total, correct


class _Best:
    """Early stopping's state: the first epoch with the highest validation accuracy
    and its weights. The starting weights are never kept: a warm-started forgetting
    reference that kept them would be the target itself."""

    def __init__(self, name: str, patience: int | None) -> None:
        self.name, self.patience = name, patience
        self.epoch, self.acc, self.state = 0, -1.0, None

    def stop(self, epoch: int, model: nn.Module, acc: float) -> bool:
        """Record ``epoch``'s accuracy; True when ``patience`` epochs brought no gain."""
        if acc > self.acc:
            self.epoch, self.acc = epoch, acc
            self.state = copy.deepcopy(model.state_dict())
        elif self.patience is not None and epoch - self.epoch >= self.patience:
            log.info("%s: no validation gain for %d epochs, stopping", self.name, self.patience)
            return True
        return False

    def restore(self, model: nn.Module, epochs_run: int, validated: bool) -> TrainResult:
        """Load the kept weights (if any), eval mode, and the result."""
        if self.state is not None:
            model.load_state_dict(self.state)
            log.info(
                "%s: kept epoch %d of %d (val-acc %.4f)",
                self.name,
                self.epoch,
                epochs_run,
                self.acc,
            )
        model.eval()
        if not validated:
            return TrainResult(model, epochs_run)
        return TrainResult(model, epochs_run, self.epoch, self.acc)


@torch.no_grad()
def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> float:
    """Top-1 accuracy of ``model`` (eval mode) on ``x``: ``(n, ...)``, ``y``: ``(n,)``."""
    model.eval()
    device = next(model.parameters()).device
    image_layout(model, np.ndim(x))
    correct = 0
    for start in range(0, len(y), batch_size):
        xb = torch.as_tensor(x[start : start + batch_size], dtype=torch.float32, device=device)
        pred = model(image_batch(xb)).argmax(1).cpu().numpy()
        correct += int(np.sum(pred == y[start : start + batch_size]))
    return correct / len(y)
