"""Image models trained together through torch.func.vmap (diffcal.training.vmapped)
against the same models trained one after another with train_model (the oracle):
each with its own data, seed, batch order, dropout masks, augmentation and early
stopping."""

import numpy as np
import pytest
import torch

from diffcal.training.models import build_model
from diffcal.training.stacked import FitTask, train_together
from diffcal.training.vmapped import vmap_key

CPU = torch.device("cpu")
CASES = {  # arch: (input shape, kwargs)
    "mnist_cnn": ((1, 28, 28), {}),
    "cifar_cnn": ((3, 32, 32), {"input_mean": [0.5, 0.4, 0.3], "input_std": [0.2, 0.25, 0.3]}),
}


def _tasks(arch, k=3, n=40, with_val=True):
    shape, kw = CASES[arch]
    rng = np.random.default_rng(7)
    out = []
    for i in range(k):
        x = rng.random(size=(n, *shape)).astype(np.float32)
        y = (x.reshape(n, -1)[:, :10].sum(1) > 5).astype(np.int64) * 2 + rng.integers(0, 2, n)
        xv = rng.random(size=(16, *shape)).astype(np.float32)
        val = (xv, rng.integers(0, 4, 16)) if with_val else None
        out.append(
            FitTask(
                build_model(arch, shape, 4, seed=20 + i, **kw),
                x,
                y,
                seed=300 + i,
                name=f"{arch}{i}",
                val=val,
            )
        )
    return out


@pytest.mark.parametrize(
    "arch, augment, patience",
    [("mnist_cnn", False, None), ("mnist_cnn", False, 1), ("cifar_cnn", True, None)],
)
def test_vmapped_models_equal_one_by_one(arch, augment, patience):
    recipe = {
        "epochs": 3,
        "batch_size": 16,
        "lr": 0.05,
        "momentum": 0.9,
        "augment": augment,
        "schedule": "cosine",
        "weight_decay": 5e-4,
    }
    torch.set_num_threads(1)
    together, alone = _tasks(arch), _tasks(arch)
    assert vmap_key(together[0].model, 40, False, 4) == vmap_key(together[1].model, 40, False, 4)
    res_t = train_together(together, recipe=recipe, device=CPU, patience=patience, vmap=True)
    res_a = train_together(alone, recipe=recipe, device=CPU, patience=patience, stack=False)
    for t, a, rt, ra in zip(together, alone, res_t, res_a, strict=True):
        assert (rt.epochs_run, rt.best_epoch) == (ra.epochs_run, ra.best_epoch), t.name
        sa = a.model.state_dict()
        for name, value in t.model.state_dict().items():
            torch.testing.assert_close(value, sa[name], rtol=1e-4, atol=1e-5, msg=name)
    # the models differ from each other (own seeds, data, masks)
    heads = [list(t.model.parameters())[-1] for t in together]
    assert not torch.equal(heads[0], heads[1])


def test_models_outside_the_known_layers_are_not_vmapped():
    model = build_model("resnet18_gn", (3, 32, 32), 10, seed=0)
    assert vmap_key(model, 10, False, 4) is None
    assert vmap_key(build_model("mlp", (5,), 2, seed=0), 10, False, 2) is None


def test_on_a_cpu_image_models_train_one_after_another_unless_asked():
    """vmap did not pay on the project's CPU (benchmarks/train_together.py): by
    default only a GPU trains image models together, so CPU results keep their bits."""
    recipe = {"epochs": 1, "batch_size": 16}
    default, alone = _tasks("mnist_cnn", k=2), _tasks("mnist_cnn", k=2)
    train_together(default, recipe=recipe, device=CPU)
    train_together(alone, recipe=recipe, device=CPU, stack=False)
    for d, a in zip(default, alone, strict=True):
        pairs = zip(d.model.parameters(), a.model.parameters(), strict=True)
        assert all(torch.equal(p, q) for p, q in pairs)
