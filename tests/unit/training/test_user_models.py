"""Your own architecture (``arch: python`` with a factory): building, seeding, config
checks, gradient norms for layers Opacus does not know, and reruns."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from builders import FACTORY
from torch import nn

from diffcal.attacks.scores import opacus_unsupported, per_sample_outputs
from diffcal.config.errors import ConfigError
from diffcal.config.load import prepare_config
from diffcal.training.models import build_model, new_model


@pytest.fixture
def factory_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mymodel.py").write_text(FACTORY)
    return "mymodel.py"


def test_factory_model_is_built_and_seeded(factory_file):
    a = build_model("python", (6,), 3, seed=1, factory=f"{factory_file}:make_model", width=5)
    b = build_model("python", (6,), 3, seed=1, factory=f"{factory_file}:make_model", width=5)
    c = build_model("python", (6,), 3, seed=2, factory=f"{factory_file}:make_model", width=5)
    assert a[1].out_features == 5 and a(torch.zeros(2, 6)).shape == (2, 3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[1].weight, c[1].weight)
    spec = {
        "arch": "python",
        "factory": f"{factory_file}:make_model",
        "kwargs": {"width": 5},
        "input_shape": [6],
        "num_classes": 3,
    }
    assert torch.equal(new_model(spec, seed=1)[1].weight, a[1].weight)


def test_factory_returning_no_module_is_one_line(factory_file):
    with pytest.raises(ValueError, match="returned str, not an nn.Module"):
        build_model("python", (6,), 3, seed=1, factory=f"{factory_file}:not_a_model")


def _cfg(model: dict) -> dict:
    return {"datasets": {"d": {"source": "sklearn_digits", "model": model}}}


@pytest.mark.parametrize(
    "model, needles",
    [
        ({"arch": "python"}, ["datasets.d.model.factory", "needs a factory"]),
        ({"arch": "mlp", "factory": "mymodel.py:make_model"}, ["only arch python"]),
        ({"arch": "python", "factory": "nope.py:make_model"}, ["nope.py does not exist"]),
        ({"arch": "python", "factory": "mymodel.py:missing"}, ["no function 'missing'"]),
        ({"arch": "python", "factory": "no_such_pkg.mod:f"}, ["No module named 'no_such_pkg'"]),
        (
            {"arch": "python", "factory": "mymodel.py:make_model", "kwargs": {"depth": 2}},
            ["datasets.d.model.kwargs.depth", "['width', 'scale']"],
        ),
    ],
)
def test_bad_factory_is_one_line_before_any_job(factory_file, model, needles):
    with pytest.raises(ConfigError) as err:
        prepare_config(_cfg(model))
    msg = str(err.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg


def test_gradient_norms_fall_back_for_layers_opacus_does_not_know(factory_file, caplog):
    """Oracle: one backward pass per sample."""
    model = build_model("python", (6,), 3, seed=3, factory=f"{factory_file}:make_model", scale=True)
    assert opacus_unsupported(model) == ["3 (Scale)"]
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 6)).astype(np.float32), rng.integers(0, 3, 10)
    with caplog.at_level(logging.WARNING, logger="diffcal"):
        out = per_sample_outputs(model, x, y, batch_size=4)
    assert "no per-sample rule for 3 (Scale)" in caplog.text
    for i in range(10):
        model.zero_grad()
        loss = nn.functional.cross_entropy(
            model(torch.tensor(x[i : i + 1])), torch.tensor(y[i : i + 1])
        )
        loss.backward()
        norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
        assert out["grad_norm"][i] == pytest.approx(float(norm), rel=1e-4)
        assert out["loss"][i] == pytest.approx(float(loss.detach()), rel=1e-5)


def test_registry_models_need_no_fallback():
    for arch, shape in (("mlp", (6,)), ("mnist_cnn", (1, 28, 28)), ("cifar_cnn", (3, 32, 32))):
        assert opacus_unsupported(build_model(arch, shape, 10, seed=0)) == [], arch
