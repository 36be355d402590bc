"""DP-SGD training time: Opacus' ghost clipping (what the workflow uses) against its
per-sample-gradient hooks (what it used before), with plain SGD as the floor.

For each model of ``config/ablations.yaml``'s Figure 6 (the Adult MLP, 12,210
members, batch 256, 60 epochs; the MNIST CNN, 1,000 members, batch 64, 30 epochs)
train one target, at the config's epochs unless ``--epochs`` says otherwise,
with :func:`diffcal.training.dp.train_dp` in each ``grad_sample_mode`` and
with the non-private trainer, on random inputs of the real shapes (the time does
not depend on the values), and print the time per target (the DP times include
Opacus' search for the noise multiplier, ~2.5 s a model) and the ratios, measured
in the same run, best of ``--repeats``.

    python benchmarks/dp_training.py [--epochs N] [--threads 1] [--repeats 1]
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import torch
from timing import best_of

from diffcal.training.dp import train_dp
from diffcal.training.models import build_model
from diffcal.training.train import train_model

CASES = {  # name: (arch, input shape, classes, kwargs, members, batch size, epochs)
    "Adult MLP": ("mlp", (104,), 2, {"hidden_mult": 2}, 12210, 256, 60),
    "MNIST CNN": ("mnist_cnn", (1, 28, 28), 10, {}, 1000, 64, 30),
}
MODES = ("hooks", "ghost")


def time_case(arch, shape, classes, kwargs, n, batch, epochs, repeats) -> dict[str, float]:
    """Seconds to train one target: plain SGD and DP-SGD in each of :data:`MODES`."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, *shape)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    recipe = {"epochs": epochs, "batch_size": batch, "lr": 0.05}

    def plain():
        model = build_model(arch, shape, classes, seed=1, **kwargs)
        train_model(model, x, y, recipe=recipe, seed=2)

    def dp(mode):
        model = build_model(arch, shape, classes, seed=1, **kwargs)
        train_dp(model, x, y, recipe=recipe, dp={"epsilon": 10}, seed=2, grad_sample_mode=mode)

    t = {"plain": best_of(plain, repeats)}
    for mode in MODES:
        t[mode] = best_of(lambda mode=mode: dp(mode), repeats)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=None, help="default: the config's")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("diffcal").setLevel(logging.WARNING)
    print(f"{args.threads} torch thread(s), best of {args.repeats}; seconds per target")
    print(
        f"{'model':<10} {'epochs':>6} {'plain s':>8} {'hooks s':>8} {'ghost s':>8} "
        f"{'hooks/ghost':>11} {'ghost/plain':>11}"
    )
    for name, (arch, shape, classes, kwargs, n, batch, epochs) in CASES.items():
        epochs = args.epochs or epochs
        t = time_case(arch, shape, classes, kwargs, n, batch, epochs, args.repeats)
        print(
            f"{name:<10} {epochs:>6} {t['plain']:>8.1f} {t['hooks']:>8.1f} {t['ghost']:>8.1f} "
            f"{t['hooks'] / t['ghost']:>10.2f}x {t['ghost'] / t['plain']:>10.2f}x"
        )


if __name__ == "__main__":
    main()
