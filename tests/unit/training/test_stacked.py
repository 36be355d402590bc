"""Models trained together (diffcal.training.stacked) against the same models trained one
after another with diffcal.training.train.train_model (the oracle)."""

import numpy as np
import pytest
import torch

from diffcal.training.models import build_model
from diffcal.training.stacked import FitTask, train_together
from diffcal.training.train import train_model

CPU = torch.device("cpu")


def _data(k, n=60, m=9, classes=3, n_val=30, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        x = rng.normal(size=(n, m)).astype(np.float32)
        y = rng.integers(0, classes, size=n)
        xv = rng.normal(size=(n_val, m)).astype(np.float32)
        out.append((x, y, (xv, rng.integers(0, classes, size=n_val))))
    return out


def _tasks(data, with_val, arch="mlp"):
    return [
        FitTask(
            build_model(arch, (9,), 3, seed=10 + k),
            x,
            y,
            seed=100 + k,
            name=f"m{k}",
            val=v if with_val else None,
        )
        for k, (x, y, v) in enumerate(data)
    ]


@pytest.mark.parametrize("with_val, patience", [(False, None), (True, None), (True, 2)])
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_stack_equals_one_by_one(with_val, patience, schedule):
    recipe = {"epochs": 12, "batch_size": 16, "lr": 0.1, "schedule": schedule}
    data = _data(5)
    stacked = _tasks(data, with_val)
    res = train_together(stacked, recipe=recipe, device=CPU, patience=patience)
    for task, r, (x, y, v) in zip(stacked, res, data, strict=True):
        oracle = build_model("mlp", (9,), 3, seed=10 + int(task.name[1:]))
        ref = train_model(
            oracle,
            x,
            y,
            recipe=recipe,
            seed=task.seed,
            device=CPU,
            val=v if with_val else None,
            patience=patience,
        )
        assert (r.best_epoch, r.epochs_run) == (ref.best_epoch, ref.epochs_run)
        for (name, a), (_, b) in zip(
            task.model.state_dict().items(), oracle.state_dict().items(), strict=True
        ):
            # A batched matmul may round differently from a single one (float32);
            # measured differences are ~1e-8 after a few hundred steps.
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    # the stack did not train one model on another's data: models differ
    w = [t.model[1].weight for t in stacked]
    assert not torch.equal(w[0], w[1])


def test_unstackable_models_fall_back_to_one_by_one():
    data = _data(2)
    tasks = [
        FitTask(build_model("mlp", (9,), 3, seed=1), *data[0][:2], seed=5, name="a"),
        FitTask(
            build_model("mlp", (9,), 3, seed=2, hidden_mult=1.0), *data[1][:2], seed=6, name="b"
        ),
    ]
    recipe = {"epochs": 3, "batch_size": 16, "lr": 0.1}
    train_together(tasks, recipe=recipe, device=CPU)
    for t, seed in zip(tasks, (1, 2), strict=True):
        kw = {} if seed == 1 else {"hidden_mult": 1.0}
        oracle = build_model("mlp", (9,), 3, seed=seed, **kw)
        train_model(oracle, t.x, t.y, recipe=recipe, seed=t.seed, device=CPU)
        for a, b in zip(t.model.parameters(), oracle.parameters(), strict=True):
            assert torch.equal(a, b)  # same code path: bit-equal


def test_stack_is_deterministic():
    recipe = {"epochs": 5, "batch_size": 16, "lr": 0.1}
    data = _data(3)
    a, b = _tasks(data, True), _tasks(data, True)
    train_together(a, recipe=recipe, device=CPU, patience=1)
    train_together(b, recipe=recipe, device=CPU, patience=1)
    for ta, tb in zip(a, b, strict=True):
        for p, q in zip(ta.model.parameters(), tb.model.parameters(), strict=True):
            assert torch.equal(p, q)


def test_divergence_names_the_model():
    data = _data(2)
    tasks = _tasks(data, False)
    with pytest.raises(FloatingPointError, match="m0: training diverged"):
        train_together(tasks, recipe={"epochs": 3, "batch_size": 16, "lr": 1e6}, device=CPU)


def test_softmax_head_stacks_and_trains_like_one_by_one():
    """MLPs with the released code's softmax head train stacked with the
    same result as alone, and never share a stack with logits-head MLPs."""
    recipe = {"epochs": 8, "batch_size": 16, "lr": 0.5}
    data = _data(4)
    heads = ["softmax", "softmax", "logits", "softmax"]
    tasks = [
        FitTask(build_model("mlp", (9,), 3, seed=10 + k, head=h), x, y, seed=100 + k, name=f"m{k}")
        for k, ((x, y, _), h) in enumerate(zip(data, heads, strict=True))
    ]
    train_together(tasks, recipe=recipe, device=CPU)
    for k, ((x, y, _), h) in enumerate(zip(data, heads, strict=True)):
        oracle = build_model("mlp", (9,), 3, seed=10 + k, head=h)
        train_model(oracle, x, y, recipe=recipe, seed=100 + k, device=CPU)
        for (name, a), (_, b) in zip(
            tasks[k].model.state_dict().items(), oracle.state_dict().items(), strict=True
        ):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=f"m{k} {name}")
    assert isinstance(tasks[0].model[4], torch.nn.Softmax)


def test_setup_torch_is_deterministic_without_importing_the_compiler():
    """A job's torch set-up turns on deterministic kernels (warn only) as
    ``torch.use_deterministic_algorithms(True, warn_only=True)`` would, without
    importing ``torch._inductor`` (2.5-3.7 s; a scoring job never trains)."""
    import subprocess
    import sys

    code = (
        "import sys, torch\n"
        "from diffcal.training.train import setup_torch\n"
        "setup_torch(1)\n"
        "print(torch.are_deterministic_algorithms_enabled(),"
        " torch.is_deterministic_algorithms_warn_only_enabled(),"
        " torch.get_num_threads(), 'torch._inductor' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "1", "False"]
