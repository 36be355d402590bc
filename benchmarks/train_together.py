"""Training K models of one kind together (diffcal.training.stacked for MLPs,
diffcal.training.vmapped for CNNs) against one after another
(diffcal.training.train.train_model), for K = 1, 4, 10 and 50 (5 splits x 10
references, as one job of the K = 10 ablation trains them) by default.

Tabular MLP at Credit size (61 inputs, 250 training rows, batch 64), the MNIST CNN
(``mnist_cnn``: 1,000 members as in config/ablations.yaml, batch 64, dropout) and the
CIFAR CNN (``cifar_cnn``: 625 members as in config/cifar10_subset.yaml, batch 128).
Every model has its own data, seed and batch order, as the workflow's references
do. Prints the ratio (one by one / together), both measured in this run, each the
best of ``--repeats`` runs (this machine's timings vary by ~10 % run to run).
``--device cuda`` runs the same on a GPU (benchmarks/gpu_train_together.py).

    python benchmarks/train_together.py [--epochs 40] [--threads 1] [--ks 8] [--cases mnist_cnn]
        [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from diffcal.training.models import build_model
from diffcal.training.stacked import FitTask, train_together

CASES = {  # name: (arch, input shape, classes, n, batch size, epochs scale)
    "mlp (Credit size)": ("mlp", (61,), 2, 250, 64, 1.0),
    "mnist_cnn": ("mnist_cnn", (1, 28, 28), 10, 1000, 64, 0.05),
    "cifar_cnn": ("cifar_cnn", (3, 32, 32), 10, 625, 128, 0.05),
}


def tasks(arch, shape, classes, n, k):
    rng = np.random.default_rng(k)
    return [
        FitTask(
            build_model(arch, shape, classes, seed=i),
            rng.normal(size=(n, *shape)).astype(np.float32),
            rng.integers(0, classes, size=n),
            seed=100 + i,
            name=f"m{i}",
        )
        for i in range(k)
    ]


def timed(ts, recipe, stack, device="cpu"):
    if device != "cpu":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    # vmap=stack: image models together on any device (the workflow does so on GPUs)
    train_together(ts, recipe=recipe, device=torch.device(device), stack=stack, vmap=stack)
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ks", type=int, nargs="*", default=[1, 4, 10, 50])
    ap.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs each")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # warm-up: the first optimizer step of a process imports lazily (~1-2 s)
    timed(tasks("mlp", (5,), 2, 16, 1), {"epochs": 1, "batch_size": 8}, False)
    print(f"threads={args.threads} device={args.device} best of {args.repeats}")
    print(
        f"{'model':<20} {'K':>3} {'epochs':>6} {'one by one s':>12} {'together s':>10} {'ratio':>6}"
    )
    for name in args.cases:
        arch, shape, classes, n, batch, scale = CASES[name]
        epochs = max(1, int(args.epochs * scale))
        recipe = {"epochs": epochs, "batch_size": batch, "lr": 0.01}
        for k in args.ks:
            loop, together = (
                min(
                    timed(tasks(arch, shape, classes, n, k), recipe, stack, args.device)
                    for _ in range(args.repeats)
                )
                for stack in (False, True)
            )
            print(
                f"{name:<20} {k:>3} {epochs:>6} {loop:>12.3f} {together:>10.3f} "
                f"{loop / together:>6.2f}"
            )


if __name__ == "__main__":
    main()
