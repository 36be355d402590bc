"""On a GPU: K = 8 image models trained together (torch.func.vmap,
diffcal.training.vmapped) against one after another, and the per-model epoch time
that docs/scaling.md's cost model needs. Prepared for a lent device;
exits with a message where no GPU is visible.

Prints, all measured in this run on ``cuda``:

- per case (mnist_cnn on 1,000 samples, cifar_cnn on 625 and on 25,000 samples):
  seconds for K = 8 one after another, together, and the ratio;
- seconds per model and epoch, together and alone (the cost model's unit).

    python benchmarks/gpu_train_together.py [--epochs 5]
"""

from __future__ import annotations

import argparse
import sys

import torch
from train_together import tasks, timed

CASES = {  # name: (arch, input shape, classes, n, batch size)
    "mnist_cnn, 1,000 samples": ("mnist_cnn", (1, 28, 28), 10, 1000, 64),
    "cifar_cnn, 625 samples": ("cifar_cnn", (3, 32, 32), 10, 625, 128),
    "cifar_cnn, 25,000 samples": ("cifar_cnn", (3, 32, 32), 10, 25_000, 128),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--k", type=int, default=8)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("no CUDA device visible: this benchmark needs a GPU")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    # warm-up: CUDA context, cuDNN autotuning of the first shapes
    timed(tasks("mnist_cnn", (1, 28, 28), 10, 64, 2), {"epochs": 1, "batch_size": 32}, True, "cuda")
    print(
        f"{'case':<28} {'K':>3} {'one by one s':>12} {'together s':>10} {'ratio':>6} "
        f"{'s/model/epoch alone':>20} {'together':>9}"
    )
    for name, (arch, shape, classes, n, batch) in CASES.items():
        augment = arch == "cifar_cnn"  # as config/compare_cifar.yaml's models
        recipe = {"epochs": args.epochs, "batch_size": batch, "lr": 0.01, "augment": augment}
        loop = timed(tasks(arch, shape, classes, n, args.k), recipe, False, "cuda")
        together = timed(tasks(arch, shape, classes, n, args.k), recipe, True, "cuda")
        per = args.k * args.epochs
        print(
            f"{name:<28} {args.k:>3} {loop:>12.2f} {together:>10.2f} {loop / together:>6.2f} "
            f"{loop / per:>20.3f} {together / per:>9.3f}"
        )


if __name__ == "__main__":
    main()
