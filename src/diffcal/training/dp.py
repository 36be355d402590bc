"""DP-SGD training of a target (paper section 4.3, Figure 6) with Opacus.

Opacus does the private part: Poisson sampling of the batches, per-sample
gradient clipping, Gaussian noise, and the RDP accountant. The noise multiplier
is not chosen by us: :meth:`opacus.PrivacyEngine.make_private_with_epsilon`
searches for the one that spends ``epsilon`` (to within the accountant's 0.01
tolerance) at ``delta`` after the recipe's epochs, and the epsilon actually spent
is read back from the accountant after training.

The recipe is the target's (SGD, momentum, Nesterov, weight decay, schedule);
image augmentation and early stopping are not supported with DP.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from diffcal.core.seeds import derive_seed, torch_generator

if TYPE_CHECKING:  # torch is imported where it is used: the config check needs this
    import torch  # module's defaults without paying torch's import
    from torch import nn

log = logging.getLogger("diffcal")

#: Defaults of a variant's ``dp`` section (see the config schema).
DP_DEFAULTS: dict[str, Any] = {
    "epsilon": None,
    "delta": 1.0e-5,
    "max_grad_norm": 1.0,
    "references": "nonprivate",
}
DP_REFERENCES = ("nonprivate", "private")


@dataclass(frozen=True)
class DPResult:
    """What :func:`train_dp` did: the requested and spent budget, the noise."""

    epsilon: float
    epsilon_spent: float
    delta: float
    noise_multiplier: float
    max_grad_norm: float
    steps: int

    def as_dict(self) -> dict[str, float]:
        return {
            "dp_epsilon": self.epsilon,
            "dp_epsilon_spent": self.epsilon_spent,
            "dp_delta": self.delta,
            "dp_noise_multiplier": self.noise_multiplier,
            "dp_max_grad_norm": self.max_grad_norm,
            "dp_steps": self.steps,
        }


def check_dp(dp: Mapping[str, Any]) -> dict[str, Any]:
    """``dp`` with defaults. A bad value raises ValueError whose message starts with
    the key (``dp.<key> ...``): the config check re-raises it under the full key."""
    out = {**DP_DEFAULTS, **dp}
    eps = out["epsilon"]
    if not (
        isinstance(eps, int | float)
        and not isinstance(eps, bool)
        and math.isfinite(eps)
        and eps > 0
    ):
        raise ValueError(f"dp.epsilon must be a finite number > 0, got {eps!r}")
    if not 0 < out["delta"] < 1:
        raise ValueError(f"dp.delta must lie in (0, 1), got {out['delta']!r}")
    if not out["max_grad_norm"] > 0:
        raise ValueError(f"dp.max_grad_norm must be > 0, got {out['max_grad_norm']!r}")
    if out["references"] not in DP_REFERENCES:
        raise ValueError(f"dp.references must be one of {DP_REFERENCES}, got {out['references']!r}")
    return out


def train_dp(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    recipe: Mapping[str, Any],
    dp: Mapping[str, Any],
    seed: int,
    device: torch.device | None = None,
    name: str = "model",
    grad_sample_mode: str = "ghost",
) -> DPResult:
    """Train ``model`` in place with DP-SGD; ``x``: ``(n, ...)`` float32, ``y``: ``(n,)``;
    ``dp``: ``epsilon``, ``delta``, ``max_grad_norm`` (:data:`DP_DEFAULTS`).
    Deterministic for a seed: the Poisson batch sampler and the noise draw from
    generators derived from ``seed``, dropout from ``torch.manual_seed(seed)``.
    ``grad_sample_mode="ghost"`` (Opacus' fast gradient clipping) computes only the
    per-sample gradient norms and clips in a second backward pass: faster than
    ``"hooks"`` (``benchmarks/dp_training.py``), the same models up to float
    rounding (``tests/unit/training/test_dp.py``)."""
    from diffcal.training.train import pick_device, recipe_with_defaults

    r = recipe_with_defaults(recipe)
    d = check_dp(dp)
    if r["augment"]:
        raise ValueError(f"{name}: augment is not supported with DP-SGD")
    epochs = int(r["epochs"])
    if epochs < 1:
        raise ValueError(f"{name}: DP-SGD needs epochs >= 1")
    device = device or pick_device()
    model.to(device)
    engine, gsm, dp_opt, criterion, dp_loader = _make_private(
        model, x, y, r, d, seed=seed, epochs=epochs, grad_sample_mode=grad_sample_mode
    )
    steps = _train_epochs(engine, gsm, dp_opt, criterion, dp_loader, r, d, seed, device, name)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the smallest alpha")
        spent = float(engine.get_epsilon(float(d["delta"])))
    result = DPResult(
        epsilon=float(d["epsilon"]),
        epsilon_spent=spent,
        delta=float(d["delta"]),
        noise_multiplier=float(dp_opt.noise_multiplier),
        max_grad_norm=float(d["max_grad_norm"]),
        steps=steps,
    )
    _release(model, gsm)
    log.info(
        "%s: DP-SGD spent epsilon %.4f of %.4g (delta %.1e, noise %.4f, clip %.3g, %d steps)",
        name,
        result.epsilon_spent,
        result.epsilon,
        result.delta,
        result.noise_multiplier,
        result.max_grad_norm,
        steps,
    )
    return result


def _make_private(model, x, y, r, d, *, seed: int, epochs: int, grad_sample_mode: str):
    """Opacus' private model, optimizer, loss and Poisson loader for recipe ``r``
    and DP settings ``d``: ``(engine, module, optimizer, criterion, loader)``."""
    import torch
    from opacus import PrivacyEngine

    from diffcal.training.train import sgd

    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.long)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(xt, yt),
        batch_size=int(r["batch_size"]),
        generator=torch_generator(derive_seed(seed, "dp_batches")),
    )
    opt = sgd(model.parameters(), r)
    criterion = torch.nn.CrossEntropyLoss()
    extra = {"criterion": criterion} if grad_sample_mode == "ghost" else {}
    with warnings.catch_warnings():
        # Opacus warns that secure_mode is off: our noise is seeded on purpose, so
        # that the same config gives the same model (not for a real deployment).
        warnings.simplefilter("ignore")
        engine = PrivacyEngine(accountant="rdp")
        made = engine.make_private_with_epsilon(
            module=model,
            optimizer=opt,
            data_loader=loader,
            target_epsilon=float(d["epsilon"]),
            target_delta=float(d["delta"]),
            epochs=epochs,
            max_grad_norm=float(d["max_grad_norm"]),
            noise_generator=torch_generator(derive_seed(seed, "dp_noise")),
            grad_sample_mode=grad_sample_mode,
            **extra,
        )
    if grad_sample_mode == "ghost":  # Opacus wraps the loss: its backward clips
        gsm, dp_opt, criterion, dp_loader = made
    else:
        gsm, dp_opt, dp_loader = made
    return engine, gsm, dp_opt, criterion, dp_loader


def _train_epochs(engine, gsm, dp_opt, criterion, dp_loader, r, d, seed, device, name) -> int:
    """Every epoch of DP-SGD (progress every tenth); returns the number of steps."""
    import torch

    epochs = int(r["epochs"])
    sched = None
    if r["schedule"] == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(dp_opt, T_max=epochs * len(dp_loader))
    every = max(1, epochs // 10)
    steps = 0
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        # Opacus' backward hooks fire on the first layer, whose input needs no
        # gradient; torch warns about it on every call, harmlessly.
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        # At epsilon >= ~1000 the RDP bound is tightest at the smallest order; the
        # accountant warns, and the epsilon it reports is still a valid bound.
        warnings.filterwarnings("ignore", message="Optimal order is the smallest alpha")
        torch.manual_seed(seed)  # dropout masks
        for epoch in range(epochs):
            gsm.train()
            total, count = 0.0, 0
            for xb, yb in dp_loader:
                xb, yb = xb.to(device), yb.to(device)
                dp_opt.zero_grad(set_to_none=True)
                # An empty Poisson batch goes through too: its (empty) per-sample
                # gradients sum to zero, and the step still adds noise (and counts).
                loss = criterion(gsm(xb), yb)
                loss.backward()
                if len(yb):
                    total += float(loss.detach()) * len(yb)
                    count += len(yb)
                dp_opt.step()
                if sched is not None:
                    sched.step()
                steps += 1
            if not math.isfinite(total):
                raise FloatingPointError(f"{name}: DP-SGD diverged in epoch {epoch + 1}")
            if (epoch + 1) % every == 0 or epoch + 1 == epochs:
                eps = engine.get_epsilon(float(d["delta"]))
                mean = total / max(count, 1)
                log.info(
                    "%s epoch %d/%d loss %.4f epsilon %.3f", name, epoch + 1, epochs, mean, eps
                )
    return steps


def _release(model, gsm) -> None:
    """Remove Opacus' hooks and per-sample state: the model as if trained plainly."""
    gsm.remove_hooks()
    for p in model.parameters():  # per-sample gradients are not part of the model
        for attr in ("grad_sample", "_forward_counter"):
            if hasattr(p, attr):
                delattr(p, attr)
        p.grad = None
    model.eval()
