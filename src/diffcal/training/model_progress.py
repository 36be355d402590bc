"""Bookkeeping of models trained together (:mod:`diffcal.training.stacked`,
:mod:`diffcal.training.vmapped`): each model's epochs, losses, early stopping and
kept weights, as :func:`diffcal.training.train.train_model` keeps them for one."""

from __future__ import annotations

import copy
import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from diffcal.training.train import TrainResult, accuracy

log = logging.getLogger("diffcal")


class TogetherProgress:
    """Per-model bookkeeping of models trained together (:mod:`diffcal.training.stacked`,
    :mod:`diffcal.training.vmapped`): epochs run, early stopping on each model's own
    validation set, and the kept weights, as :func:`diffcal.training.train.train_model`
    does for one."""

    def __init__(self, tasks: Sequence[Any], patience: int | None) -> None:
        k = len(tasks)
        self.tasks, self.patience = tasks, patience
        self.best_epoch, self.best_acc = [0] * k, [-1.0] * k
        self.best_state: list[dict | None] = [None] * k
        self.epochs_run, self.active = [0] * k, [True] * k
        self._nll: list[torch.Tensor] = []  # this epoch's per-sample losses, (K, b) a step
        self._correct: torch.Tensor | None = None

    def step(self, out: torch.Tensor, yb: torch.Tensor, opt, sched, *, logged: bool) -> None:
        """One SGD step of all models on their batches: ``out`` ``(K, b, c)`` outputs,
        ``yb`` ``(K, b)`` labels. The loss is the sum of the models' own mean
        cross-entropies, so each model's gradient is that of its own loss. Correct
        predictions are counted only in a ``logged`` epoch (they are only logged)."""
        k_models = out.shape[0]
        nll = F.cross_entropy(out.reshape(-1, out.shape[2]), yb.reshape(-1), reduction="none").view(
            k_models, -1
        )
        opt.zero_grad()
        nll.mean(1).sum().backward()
        opt.step()
        if sched is not None:
            sched.step()
        self.record(nll.detach(), out.detach(), yb, logged=logged)

    def record(
        self, nll: torch.Tensor, out: torch.Tensor, yb: torch.Tensor, *, logged: bool
    ) -> None:
        """Keep one step's per-sample losses ``nll`` ``(K, b)`` and, in a ``logged``
        epoch, count the correct predictions of ``out`` ``(K, b, c)``."""
        self._nll.append(nll)
        if logged:
            if self._correct is None:
                self._correct = torch.zeros(out.shape[0], dtype=torch.long, device=out.device)
            self._correct += (out.argmax(2) == yb).sum(1)

    def _loss_sums(self) -> torch.Tensor:
        """``(K,)`` float64: the sum over this epoch's steps of each model's mean loss
        times its batch size, added up in step order (for the divergence check and
        the log). The means of a run of equal-sized batches are taken in one call,
        the same reduction per row as one step's ``nll.mean(1)``."""
        rows = [
            torch.stack(list(run)).mean(2) * shape[1]
            for shape, run in itertools.groupby(self._nll, key=lambda t: t.shape)
        ]
        self._nll = []
        return torch.cat(rows).double().cumsum(0)[-1]  # a running float64 sum

    def finish_epoch(
        self,
        epoch: int,
        model_of: Callable[[int], nn.Module],
        *,
        n: int,
        logged: bool,
        r: Mapping[str, Any],
    ) -> None:
        """After the steps of ``epoch`` (from 0) over ``n`` samples per model:
        :meth:`end_epoch` for every model still training."""
        total = self._loss_sums().cpu()
        correct = self._correct.cpu() if self._correct is not None else [0] * len(total)
        self._correct = None
        for k in range(len(self.tasks)):
            if self.active[k]:
                self.end_epoch(
                    k,
                    epoch,
                    model_of,
                    loss_sum=float(total[k]),
                    correct=int(correct[k]),
                    n=n,
                    logged=logged,
                    r=r,
                )

    def end_epoch(
        self,
        k: int,
        epoch: int,
        model_of: Callable[[int], nn.Module],
        *,
        loss_sum: float,
        correct: int,
        n: int,
        logged: bool,
        r: Mapping[str, Any],
    ) -> None:
        """Model ``k`` finished ``epoch`` (from 0) of recipe ``r`` with summed loss
        ``loss_sum`` and ``correct`` of ``n`` samples right: stops on divergence,
        logs the epoch if ``logged``, then early stopping; ``model_of(k)`` gives
        its module with the current weights (called with a validation set only)."""
        task = self.tasks[k]
        if not math.isfinite(loss_sum):
            raise FloatingPointError(
                f"{task.name}: training diverged (non-finite loss) in epoch {epoch + 1}; "
                f"lower the learning rate (lr={r['lr']})"
            )
        if logged:
            log.info(
                "%s epoch %d/%d loss %.4f train-acc %.4f",
                task.name,
                epoch + 1,
                int(r["epochs"]),
                loss_sum / n,
                correct / n,
            )
        self.epochs_run[k] = epoch + 1
        if task.val is None:
            return
        acc = accuracy(model_of(k), *task.val)
        if acc > self.best_acc[k]:
            self.best_epoch[k], self.best_acc[k] = epoch + 1, acc
            self.best_state[k] = copy.deepcopy(task.model.state_dict())
        elif self.patience is not None and epoch + 1 - self.best_epoch[k] >= self.patience:
            log.info("%s: no validation gain for %d epochs, stopping", task.name, self.patience)
            self.active[k] = False

    def results(self, model_of: Callable[[int], nn.Module]) -> list[TrainResult]:
        """Every model with its kept weights, in eval mode, as :func:`train_model` returns."""
        out = []
        for k, task in enumerate(self.tasks):
            model = model_of(k)
            if self.best_state[k] is not None:
                model.load_state_dict(self.best_state[k])
                log.info(
                    "%s: kept epoch %d of %d (val-acc %.4f)",
                    task.name,
                    self.best_epoch[k],
                    self.epochs_run[k],
                    self.best_acc[k],
                )
            model.eval()
            out.append(
                TrainResult(model, self.epochs_run[k])
                if task.val is None
                else TrainResult(model, self.epochs_run[k], self.best_epoch[k], self.best_acc[k])
            )
        return out
