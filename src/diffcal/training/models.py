"""Model architectures (paper section 4.1), in a name -> builder registry.

No BatchNorm anywhere: per-sample gradients (``torch.func``) and DP-SGD (Opacus)
both need per-sample independence, so the ResNet uses GroupNorm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from diffcal.training.spec import ARCHS, MLP_HEADS

if TYPE_CHECKING:
    from diffcal.data.prepared import Prepared


def mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    hidden_mult: float = 2.0,
    head: str = "logits",
) -> nn.Module:
    """One hidden layer of ``hidden_mult * m`` ReLU units for ``m`` input features.

    ``head="softmax"`` ends the network with a softmax, as the paper's released code
    (facebookresearch/calibration_membership) defines its tabular MLP: training and
    scoring then apply ``cross_entropy`` / ``log_softmax`` to probabilities, i.e.
    two softmaxes. Same parameters and predictions (softmax keeps the argmax); only
    the loss, its gradient and the scores change.
    """
    if head not in MLP_HEADS:
        raise ValueError(f"head must be one of {MLP_HEADS}, got {head!r}")
    m = math.prod(input_shape)
    hidden = max(1, int(round(hidden_mult * m)))
    layers = [nn.Flatten(), nn.Linear(m, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    if head == "softmax":
        layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


def mlp_layers(model: nn.Module) -> tuple[nn.Linear, nn.Linear, bool] | None:
    """``(first Linear, second Linear, softmax head)`` when ``model`` is exactly the
    structure :func:`mlp` builds - ``Sequential(Flatten(), Linear, ReLU(), Linear[,
    Softmax(dim=1)])`` with biases - else None. Stacked training and the closed-form
    gradient norms both rely on that structure (a subclass may change ``forward``)."""
    if type(model) is not nn.Sequential:
        return None
    mods = list(model)
    base = [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    if [type(m) for m in mods] not in (base, [*base, nn.Softmax]):
        return None
    flat, first, _, second = mods[:4]
    if (flat.start_dim, flat.end_dim) != (1, -1) or (len(mods) == 5 and mods[4].dim not in (1, -1)):
        return None
    if first.bias is None or second.bias is None:
        return None
    return first, second, len(mods) == 5


def mnist_cnn(input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """Leino & Fredrikson (2020) MNIST CNN: conv(20,5)-pool-conv(50,5)-pool, dropout
    0.25 after each pooling, FC 500 + ReLU, dropout 0.5, linear head."""
    c, h, w = input_shape
    feat = nn.Sequential(
        nn.Conv2d(c, 20, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Conv2d(20, 50, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
    )
    with torch.no_grad():
        n_feat = feat(torch.zeros(1, c, h, w)).shape[1]
    return nn.Sequential(
        feat, nn.Linear(n_feat, 500), nn.ReLU(), nn.Dropout(0.5), nn.Linear(500, num_classes)
    )


class Normalize(nn.Module):
    """Fixed per-channel standardisation ``(x - mean) / std`` of ``(b, C, H, W)``
    inputs. Mean and std are buffers (saved with the model, never trained)."""

    def __init__(self, mean: list[float], std: list[float]) -> None:
        super().__init__()
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"need as many means as positive stds, got {mean}, {std}")
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _input_norm(
    input_shape: tuple[int, ...], mean: list[float] | None, std: list[float] | None
) -> list[nn.Module]:
    if mean is None and std is None:
        return []
    if mean is None or std is None or len(mean) != input_shape[0]:
        raise ValueError(
            f"input_mean and input_std need one value per channel ({input_shape[0]}), "
            f"got {mean}, {std}"
        )
    return [Normalize(mean, std)]


def cifar_cnn(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    input_mean: list[float] | None = None,
    input_std: list[float] | None = None,
) -> nn.Module:
    """4 conv layers (32, 64, 64, 128 channels, kernel 3) each followed by ReLU and
    2x2 average pooling, then a linear head. With ``input_mean``/``input_std``
    (per channel), inputs are standardised first: without it, training from [0, 1]
    pixels stalled at chance for some seeds (docs/reproduction.md, CIFAR subset)."""
    c, h, w = input_shape
    layers: list[nn.Module] = _input_norm(input_shape, input_mean, input_std)
    for out in (32, 64, 64, 128):
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2)]
        c = out
    feat = nn.Sequential(*layers, nn.Flatten())
    with torch.no_grad():
        n_feat = feat(torch.zeros(1, *input_shape)).shape[1]
    return nn.Sequential(feat, nn.Linear(n_feat, num_classes))


def resnet18_gn(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    input_mean: list[float] | None = None,
    input_std: list[float] | None = None,
) -> nn.Module:
    """torchvision ResNet18 with GroupNorm(32 groups) instead of BatchNorm, with an
    optional per-channel input standardisation (as :func:`cifar_cnn`)."""
    from torchvision.models import resnet18
    from torchvision.models.resnet import BasicBlock

    class _Block(BasicBlock):
        """torchvision's block without its in-place ops (same maths, same weights):
        in-place ReLU and ``out += identity`` modify outputs of Opacus' backward
        hooks (per-sample gradient norms, DP-SGD), which autograd forbids."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    net = resnet18(num_classes=num_classes, norm_layer=lambda ch: nn.GroupNorm(32, ch))
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.inplace = False
        elif type(m) is BasicBlock:
            m.__class__ = _Block
    return nn.Sequential(*_input_norm(input_shape, input_mean, input_std), net)


#: Registry: architecture name -> builder(input_shape, num_classes, **kwargs).
MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp,
    "mnist_cnn": mnist_cnn,
    "cifar_cnn": cifar_cnn,
    "resnet18_gn": resnet18_gn,
}


def build_model(
    arch: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    seed: int,
    factory: str | None = None,
    **kwargs,
) -> nn.Module:
    """Build ``arch`` with parameters initialised from ``seed``; ``arch="python"``
    calls the user's ``factory`` (``"module:function"`` or ``"file.py:function"``)."""
    if arch == "python":
        if not factory:
            raise ValueError(
                "arch python needs a factory ('module:function' or 'file.py:function')"
            )
        from diffcal.training.factory import build_from_factory

        def builder(shape, classes, **kw):
            return build_from_factory(factory, shape, classes, **kw)
    else:
        try:
            builder = MODELS[arch]
        except KeyError:
            raise ValueError(f"unknown model {arch!r}; allowed: {sorted(ARCHS)}") from None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return builder(tuple(input_shape), num_classes, **kwargs)


def model_spec(data: Prepared, model_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """What is needed to rebuild an architecture: name, kwargs, shapes (and the
    factory of ``arch: python``)."""
    spec = {
        "arch": model_cfg["arch"],
        "kwargs": dict(model_cfg.get("kwargs") or {}),
        "input_shape": list(data.x.shape[1:]),
        "num_classes": data.num_classes,
    }
    if model_cfg["arch"] == "python":
        spec["factory"] = model_cfg["factory"]
    return spec


def new_model(spec: Mapping[str, Any], seed: int) -> nn.Module:
    return build_model(
        spec["arch"],
        tuple(spec["input_shape"]),
        spec["num_classes"],
        seed=seed,
        factory=spec.get("factory"),
        **spec["kwargs"],
    )
