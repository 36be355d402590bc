"""diffcal.training.stacked.StackedMLP's hand-written backward pass against autograd
(the oracle) on the same stacked graph: the same gradients bit for bit, and whole
stacked trainings equal bit for bit to the autograd-and-torch.optim.SGD loop that
trained the stack before the backward pass was written out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from diffcal.core.seeds import torch_generator
from diffcal.training.model_progress import TogetherProgress
from diffcal.training.models import build_model, mlp_layers
from diffcal.training.stacked import FitTask, StackedMLP, train_together

CPU = torch.device("cpu")
HEADS = ["logits", "softmax"]


def _models(k, m, classes, head, seed=0):
    return [build_model("mlp", (m,), classes, seed=seed + i, head=head) for i in range(k)]


def _autograd_stack(models):
    """The stacked parameters w1 (K, h, m), b1, w2 (K, c, h), b2 as autograd leaves."""
    layers = [mlp_layers(mdl)[:2] for mdl in models]
    return [
        torch.stack([getattr(ls[j], name).detach() for ls in layers]).clone().requires_grad_(True)
        for j in (0, 1)
        for name in ("weight", "bias")
    ]


def _autograd_losses(params, xb, yb, softmax_head):
    """The sum over models of each model's mean cross-entropy, through autograd."""
    w1, b1, w2, b2 = params
    hidden = torch.relu(torch.baddbmm(b1.unsqueeze(1), xb, w1.transpose(1, 2)))
    out = torch.baddbmm(b2.unsqueeze(1), hidden, w2.transpose(1, 2))
    if softmax_head:
        out = torch.softmax(out, dim=2)
    nll = F.cross_entropy(out.reshape(-1, out.shape[2]), yb, reduction="none")
    return nll, nll.view(xb.shape[0], -1).mean(1).sum()


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("batch", [16, 7, 1])
def test_step_gradients_equal_autograd_bit_for_bit(head, batch):
    k, m, classes = 4, 9, 3
    models = _models(k, m, classes, head)
    g = torch.Generator().manual_seed(batch)
    xb = torch.randn(k, batch, m, generator=g) * 3
    yb = torch.randint(0, classes, (k * batch,), generator=g)
    stack = StackedMLP([mlp_layers(mdl)[:2] for mdl in models], head == "softmax", CPU)
    nll, out = stack.step(xb, yb)
    params = _autograd_stack(models)
    ref_nll, loss = _autograd_losses(params, xb, yb, head == "softmax")
    loss.backward()
    assert torch.equal(nll.reshape(-1), ref_nll.detach())
    assert out.shape == (k, batch, classes)
    for ours, ref in zip((stack.gw1, stack.gb1, stack.gw2, stack.gb2), params, strict=True):
        assert ours.shape == ref.shape
        assert torch.equal(ours, ref.grad)
    assert stack.flat.grad.abs().sum() > 0  # a real gradient, not zeros on both sides


def _old_stacked_training(models, xs, ys, seeds, recipe):
    """The stacked loop as it was before StackedMLP: autograd over the four stacked
    tensors and torch.optim.SGD (foreach), batches in each model's own order."""
    params = _autograd_stack(models)
    opt = torch.optim.SGD(
        params,
        lr=recipe["lr"],
        momentum=0.9,
        nesterov=True,
        weight_decay=recipe["weight_decay"],
        foreach=True,
    )
    k, n = ys.shape
    gens = [torch_generator(s) for s in seeds]
    for _ in range(recipe["epochs"]):
        order = torch.stack([torch.randperm(n, generator=g) for g in gens])
        for start in range(0, n, recipe["batch_size"]):
            idx = order[:, start : start + recipe["batch_size"]]
            rows = torch.arange(k)[:, None]
            _, loss = _autograd_losses(
                params,
                xs[rows, idx],
                ys[rows, idx].reshape(-1),
                isinstance(models[0][-1], torch.nn.Softmax),
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    return [p.detach() for p in params]


@pytest.mark.parametrize("head", HEADS)
def test_stacked_training_equals_the_autograd_loop_bit_for_bit(head):
    k, n, m, classes = 5, 45, 9, 3  # 45 = 2 batches of 16 and one of 13
    recipe = {"epochs": 6, "batch_size": 16, "lr": 0.1, "weight_decay": 5e-4}
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(k, n, m)).astype(np.float32)
    ys = rng.integers(0, classes, size=(k, n))
    seeds = [100 + i for i in range(k)]
    tasks = [
        FitTask(mdl, xs[i], ys[i], seed=seeds[i], name=f"m{i}")
        for i, mdl in enumerate(_models(k, m, classes, head))
    ]
    train_together(tasks, recipe=recipe, device=CPU)
    w1, b1, w2, b2 = _old_stacked_training(
        _models(k, m, classes, head), torch.as_tensor(xs), torch.as_tensor(ys), seeds, recipe
    )
    for i, task in enumerate(tasks):
        first, second, _ = mlp_layers(task.model)
        for ours, ref in (
            (first.weight, w1),
            (first.bias, b1),
            (second.weight, w2),
            (second.bias, b2),
        ):
            assert torch.equal(ours.detach(), ref[i])
    assert not torch.equal(tasks[0].model[1].weight, tasks[1].model[1].weight)


def test_epoch_loss_sums_equal_a_running_float64_sum():
    g = torch.Generator().manual_seed(0)
    steps = [torch.rand(3, b, generator=g) * 2 for b in (16, 16, 16, 5)]
    progress = TogetherProgress([None] * 3, None)
    running = torch.zeros(3, dtype=torch.float64)
    for nll in steps:
        progress.record(
            nll, torch.zeros(3, nll.shape[1], 2), torch.zeros(3, nll.shape[1]), logged=False
        )
        running += nll.mean(1) * nll.shape[1]  # the former per-step bookkeeping
    assert torch.equal(progress._loss_sums(), running)
    assert progress._nll == []  # the epoch's losses are released
