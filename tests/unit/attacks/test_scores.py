"""Per-sample outputs (Opacus per-sample norms) against a per-sample backward loop."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from diffcal.attacks.scores import per_sample_outputs
from diffcal.training.models import build_model


def _loop_oracle(model, x, y):
    model.eval()
    losses, norms, conf = [], [], []
    for i in range(len(y)):
        model.zero_grad()
        logits = model(torch.as_tensor(x[i : i + 1]))
        loss = F.cross_entropy(logits, torch.as_tensor(y[i : i + 1]))
        loss.backward()
        norms.append(torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item())
        losses.append(loss.item())
        conf.append(F.log_softmax(logits, 1).max().item())
    return np.array(losses), np.array(norms), np.array(conf)


NORM = {"input_mean": [0.5, 0.4, 0.3], "input_std": [0.2, 0.25, 0.3]}


@pytest.mark.parametrize(
    "arch, shape, classes, kwargs",
    [
        ("mlp", (7,), 3, {}),
        ("mlp", (7,), 3, {"head": "softmax"}),  # the released code's two softmaxes
        ("mnist_cnn", (1, 28, 28), 10, {}),
        ("cifar_cnn", (3, 32, 32), 4, {}),
        ("cifar_cnn", (3, 32, 32), 4, NORM),  # buffers (Normalize) stay out of the norms
        ("resnet18_gn", (3, 32, 32), 5, {}),  # GroupNorm: per-layer per-sample gradients
    ],
)
@pytest.mark.parametrize("method", ["auto", "opacus", "vmap"])
def test_outputs_match_per_sample_backward_loop(arch, shape, classes, kwargs, method):
    if arch == "resnet18_gn" and method == "vmap":
        pytest.skip("vmap over ResNet18 takes minutes on CPU; never used for it")
    if method == "auto" and arch != "mlp":
        pytest.skip("auto is opacus for every other architecture (tested as opacus)")
    torch.manual_seed(0)
    model = build_model(arch, shape, classes, seed=1, **kwargs).double().float()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, *shape)).astype(np.float32)
    y = rng.integers(0, classes, size=9)
    out = per_sample_outputs(model, x, y, batch_size=4, method=method)  # batches of 4, 4, 1
    loss, norm, conf = _loop_oracle(model, x, y)
    np.testing.assert_allclose(out["loss"], loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["grad_norm"], norm, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["max_log_prob"], conf, rtol=1e-5, atol=1e-6)
    logits = model(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_array_equal(out["pred"], logits.argmax(1))
    np.testing.assert_array_equal(out["correct"], logits.argmax(1) == y)


def test_dropout_is_off_when_scoring():
    model = build_model("mnist_cnn", (1, 28, 28), 10, seed=3)
    x = np.random.default_rng(1).normal(size=(5, 1, 28, 28)).astype(np.float32)
    y = np.arange(5)
    a = per_sample_outputs(model, x, y)
    b = per_sample_outputs(model, x, y)
    np.testing.assert_array_equal(a["loss"], b["loss"])
    np.testing.assert_array_equal(a["grad_norm"], b["grad_norm"])


def test_training_is_deterministic_and_diverging_training_fails():
    from diffcal.training.train import train_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    recipe = {"epochs": 3, "batch_size": 8}
    a = train_model(build_model("mlp", (5,), 2, seed=1), x, y, recipe=recipe, seed=2).model
    b = train_model(build_model("mlp", (5,), 2, seed=1), x, y, recipe=recipe, seed=2).model
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    with pytest.raises(FloatingPointError, match="diverged"):
        train_model(
            build_model("mlp", (5,), 2, seed=1),
            x * 1e30,
            y,
            recipe={"epochs": 2, "lr": 1e10},
            seed=2,
        )


def test_augment_batch_is_a_shifted_possibly_flipped_crop():
    from diffcal.core.seeds import torch_generator
    from diffcal.training.train import augment_batch

    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8) + 1
    out = augment_batch(x, torch_generator(0))
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(2):  # per-sample loop oracle: some crop (flipped or not) of the padded image
        crops = [padded[i, :, dy : dy + 8, dx : dx + 8] for dy in range(9) for dx in range(9)]
        assert any(torch.equal(out[i], c) or torch.equal(out[i], c.flip(2)) for c in crops)
    np.testing.assert_array_equal(augment_batch(x, torch_generator(0)), out)


@pytest.mark.parametrize(
    "arch, shape",
    [
        ("mlp", (61,)),
        ("mnist_cnn", (1, 28, 28)),
        ("cifar_cnn", (3, 32, 32)),
        ("resnet18_gn", (3, 64, 64)),
    ],
)
def test_models_have_no_batchnorm_and_give_logits(arch, shape):
    model = build_model(arch, shape, 7, seed=0).eval()
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    assert model(torch.zeros(2, *shape)).shape == (2, 7)
    if arch == "mlp":  # paper: one hidden layer of 2m units
        assert model[1].out_features == 2 * 61


@pytest.mark.parametrize("arch, shape", [("cifar_cnn", (3, 32, 32)), ("resnet18_gn", (3, 32, 32))])
def test_input_normalisation_is_a_fixed_per_channel_standardisation(arch, shape):
    plain = build_model(arch, shape, 5, seed=0).eval()
    normed = build_model(arch, shape, 5, seed=0, **NORM).eval()
    assert not any(n.endswith(("mean", "std")) for n, _ in normed.named_parameters())
    x = torch.rand(3, *shape)
    mean = torch.tensor(NORM["input_mean"]).view(1, 3, 1, 1)
    std = torch.tensor(NORM["input_std"]).view(1, 3, 1, 1)
    torch.testing.assert_close(normed(x), plain((x - mean) / std), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="one value per channel"):
        build_model(arch, shape, 5, seed=0, input_mean=[0.5], input_std=[0.2])


def test_channels_last_model_scores_like_default():
    """A model trained in channels-last layout (diffcal.training.train) scores as the default."""
    model = build_model("mnist_cnn", (1, 28, 28), 10, seed=4)
    x = np.random.default_rng(2).normal(size=(6, 1, 28, 28)).astype(np.float32)
    y = np.arange(6)
    a = per_sample_outputs(model, x, y)
    model.to(memory_format=torch.channels_last)
    b = per_sample_outputs(model, x, y)
    np.testing.assert_allclose(a["grad_norm"], b["grad_norm"], rtol=1e-5)
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-5)


def test_softmax_head_gradient_vanishes_for_confidently_wrong_samples():
    """With the released code's softmax head, the loss is the
    cross-entropy of probabilities, whose gradient goes through the softmax's
    Jacobian diag(p) - pp^T: for a sample the model gets confidently wrong it
    vanishes (~e^-d for a logit margin d), where the logits head's gradient grows
    to its maximum. So under the softmax head the gradient-norm score ranks a
    confidently wrong sample like a perfectly fitted one."""
    x, y = np.array([[0.5, -1.0]], dtype=np.float32), np.array([0])

    def grad_norm(head, margin):
        model = build_model("mlp", (2,), 2, seed=0, head=head)
        with torch.no_grad():
            model[3].weight.zero_()
            model[3].bias.copy_(torch.tensor([0.0, margin]))  # wrong class ahead by margin
        return per_sample_outputs(model, x, y, method="vmap")["grad_norm"][0]

    with torch.no_grad():
        h = build_model("mlp", (2,), 2, seed=0)[:3](torch.as_tensor(x))[0].numpy()

    margins = [0.0, 2.0, 5.0, 10.0, 20.0]
    logits = [grad_norm("logits", d) for d in margins]
    soft = [grad_norm("softmax", d) for d in margins]
    assert np.all(np.diff(logits) > 0)  # more confidently wrong: larger gradient
    # closed form, logits head (W2 = 0, so only the last layer has a gradient):
    # |(p - e_y)| * sqrt(1 + |h|^2), |p - e_y| = sqrt(2) * p_1
    p1 = 1 / (1 + np.exp(-np.array(margins)))
    np.testing.assert_allclose(logits, np.sqrt(2) * p1 * np.sqrt(1 + h @ h), rtol=1e-5)
    assert soft[-1] < 1e-7 and soft[-1] < soft[1] / 1e6  # vanishes when confidently wrong
    with pytest.raises(ValueError, match="head must be one of"):
        build_model("mlp", (2,), 2, seed=0, head="sigmoid")


@pytest.mark.parametrize("head", ["logits", "softmax"])
def test_closed_form_mlp_norms_match_opacus_and_the_loop(head):
    """The MLP's closed-form norms (the default for it) against Opacus'
    ghost norms and the per-sample loop, at Adult's width, float32 rounding apart;
    a model that is not exactly the MLP is not taken for one."""
    from diffcal.attacks.scores import grad_norm_method, two_layer_mlp

    model = build_model("mlp", (104,), 2, seed=4, head=head)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 104)).astype(np.float32)
    y = rng.integers(0, 2, size=300)
    assert grad_norm_method(model) == ("mlp", [])
    closed = per_sample_outputs(model, x, y, method="mlp")
    opac = per_sample_outputs(model, x, y, method="opacus")
    for k in ("loss", "max_log_prob"):
        np.testing.assert_array_equal(closed[k], opac[k])
    np.testing.assert_array_equal(closed["pred"], opac["pred"])
    np.testing.assert_allclose(closed["grad_norm"], opac["grad_norm"], rtol=2e-5, atol=1e-7)
    _, loop, _ = _loop_oracle(model, x[:20], y[:20])
    np.testing.assert_allclose(closed["grad_norm"][:20], loop, rtol=2e-5, atol=1e-7)
    other = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(4, 3, bias=False),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 2),
    )
    assert two_layer_mlp(other) is None and grad_norm_method(other)[0] == "opacus"
