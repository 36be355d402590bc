"""diffcal.training.train.SGD and CosineLR against torch.optim.SGD and
CosineAnnealingLR (the oracle): the same parameters and learning rates bit for bit,
without importing torch._dynamo."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
import torch

from diffcal.training.train import SGD, CosineLR, optimizer, recipe_with_defaults


def _pair(seed: int):
    g = torch.Generator().manual_seed(seed)
    a = [torch.randn(s, generator=g).requires_grad_(True) for s in ((6, 4), (4,), (3,))]
    return a, [t.detach().clone().requires_grad_(True) for t in a]


@pytest.mark.parametrize(
    ("momentum", "nesterov", "weight_decay", "foreach"),
    [
        c
        for c in itertools.product(
            [0.0, 0.9], [False, True], [0.0, 5e-4], [None, False, True, "in_place"]
        )
        if not (c[1] and c[0] == 0)
    ],
)
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_sgd_equals_torch_optim_bit_for_bit(momentum, nesterov, weight_decay, foreach, schedule):
    recipe = recipe_with_defaults(
        {
            "lr": 0.05,
            "momentum": momentum,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
            "schedule": schedule,
        }
    )
    steps = 9
    ref, ours = _pair(0)
    in_place = foreach == "in_place"  # gradients updated in place (StackedMLP's)
    foreach = None if in_place else foreach
    ref_opt = torch.optim.SGD(
        ref,
        lr=0.05,
        momentum=momentum,
        nesterov=nesterov,
        weight_decay=weight_decay,
        foreach=foreach,
    )
    ref_sched = (
        torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=steps)
        if schedule == "cosine"
        else None
    )
    opt, sched = optimizer(ours, recipe, steps, foreach=foreach, in_place=in_place)
    assert (sched is None) == (schedule == "constant")
    for step in range(steps):
        ref_opt.zero_grad(set_to_none=True)
        opt.zero_grad()
        g = torch.Generator().manual_seed(100 + step)
        for k, (x, y) in enumerate(zip(ref, ours, strict=True)):
            if k == 2 and step % 3 == 1:  # a parameter without a gradient in this step
                continue
            grad = torch.randn(x.shape, generator=g)
            x.grad, y.grad = grad.clone(), grad.clone()
        ref_opt.step()
        opt.step()
        if sched is not None:
            ref_sched.step()
            sched.step()
            assert opt.lr == ref_opt.param_groups[0]["lr"]
        for x, y in zip(ref, ours, strict=True):
            assert torch.equal(x, y)


@pytest.mark.parametrize("t_max", [1, 2, 7, 100, 1000])
@pytest.mark.parametrize("lr", [0.1, 0.05, 1e-3])
def test_cosine_learning_rates_equal_torch(t_max, lr):
    """Every learning rate of CosineAnnealingLR (also past t_max, where its formula
    turns back up) equals ours exactly."""
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=t_max)
    opt = SGD([torch.zeros(1, requires_grad=True)], recipe_with_defaults({"lr": lr}))
    ours = CosineLR(opt, t_max)
    for _ in range(3 * t_max + 2):
        ref_opt.step()
        ref.step()
        ours.step()
        assert opt.lr == ref_opt.param_groups[0]["lr"]


def test_cosine_needs_a_step():
    opt = SGD([torch.zeros(1, requires_grad=True)], recipe_with_defaults({"lr": 0.1}))
    with pytest.raises(ValueError, match="at least one step"):
        CosineLR(opt, 0)
    assert optimizer(opt.params, recipe_with_defaults({"schedule": "cosine"}), 0)[1] is None


def test_training_does_not_import_the_compiler():
    """Training one model and a stack of MLPs (cosine schedule, early stopping)
    imports neither torch._dynamo nor torch._inductor."""
    code = (
        "import sys, numpy as np, torch\n"
        "from diffcal.training.models import build_model\n"
        "from diffcal.training.stacked import FitTask, train_together\n"
        "from diffcal.training.train import train_model\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=(40, 5)).astype(np.float32); y = rng.integers(0, 2, 40)\n"
        "r = {'epochs': 2, 'batch_size': 16, 'lr': 0.01, 'schedule': 'cosine'}\n"
        "cpu = torch.device('cpu')\n"
        "m = [build_model('mlp', (5,), 2, seed=i) for i in range(4)]\n"
        "train_model(m[3], x, y, recipe=r, seed=1, device=cpu, name='a')\n"
        "ts = [FitTask(m[i], x, y, seed=i, name=str(i), val=(x, y)) for i in range(3)]\n"
        "train_together(ts, recipe=r, device=cpu, patience=1)\n"
        "print('torch._dynamo' in sys.modules, 'torch._inductor' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
