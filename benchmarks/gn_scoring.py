"""Gradient-norm scoring throughput against one batched forward+backward pass.

For each architecture: time (1) one forward + backward pass of the summed loss over
n samples in batches (the floor: no per-sample work), and diffcal's scoring
(``per_sample_outputs``: loss, confidence, prediction and gradient norm) with
(2) the closed form of the two-layer MLP (MLPs only), (3) Opacus' per-sample norms
and (4) ``torch.func.vmap(grad)``. Prints each as a ratio to (1), measured in the
same run, best of ``--repeats``; ``*`` marks the method the workflow uses.

    python benchmarks/gn_scoring.py [--n 1024] [--batch 256] [--threads 1]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from timing import best_of
from torch.nn import functional as F

from diffcal.attacks.scores import grad_norm_method, per_sample_outputs
from diffcal.training.models import build_model

METHODS = ("mlp", "opacus", "vmap")
ARCHS = {  # name: (arch, input shape, classes, kwargs)
    "mlp (Credit size)": ("mlp", (61,), 2, {}),
    "mlp (Adult size)": ("mlp", (104,), 2, {}),
    "mnist_cnn": ("mnist_cnn", (1, 28, 28), 10, {}),
    "cifar_cnn": ("cifar_cnn", (3, 32, 32), 10, {}),
    "resnet18_gn": ("resnet18_gn", (3, 32, 32), 10, {}),
}


def forward_backward(model, x, y, batch):
    model.eval()
    for s in range(0, len(y), batch):
        xb, yb = torch.as_tensor(x[s : s + batch]), torch.as_tensor(y[s : s + batch])
        model.zero_grad()
        F.cross_entropy(model(xb), yb, reduction="sum").backward()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--archs", nargs="*", default=list(ARCHS))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # warm-up: the first call of each method imports lazily (opacus ~2 s, torch.func)
    tiny = build_model("mlp", (4,), 2, seed=0)
    for m in METHODS:
        per_sample_outputs(tiny, np.zeros((2, 4), np.float32), np.zeros(2, int), method=m)
    print(f"n={args.n} batch={args.batch} threads={args.threads}, best of {args.repeats}")
    print(
        f"{'architecture':<20} {'fwd+bwd s':>10} "
        + " ".join(f"{m + ' s':>8} {'/fb':>8}" for m in METHODS)
    )
    for name in args.archs:
        arch, shape, classes, kw = ARCHS[name]
        n = args.n if arch != "resnet18_gn" else min(args.n, 128)
        model = build_model(arch, shape, classes, seed=0, **kw)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(n, *shape)).astype(np.float32)
        y = rng.integers(0, classes, size=n)
        fb = best_of(lambda: forward_backward(model, x, y, args.batch), args.repeats)  # noqa: B023
        t = {
            m: best_of(
                lambda m=m: per_sample_outputs(model, x, y, batch_size=args.batch, method=m),  # noqa: B023
                args.repeats,
            )
            for m in METHODS
            if not (m == "vmap" and arch == "resnet18_gn")  # ~170x: minutes on CPU
            and not (m == "mlp" and arch != "mlp")
        }
        used = grad_norm_method(model)[0]
        cells = " ".join(
            f"{t[m]:>8.3f} {t[m] / fb:>7.2f}{'*' if m == used else ' '}"
            if m in t
            else f"{'skipped':>8} {'':>8}"
            for m in METHODS
        )
        print(f"{name:<20} {fb:>10.3f} {cells}" + ("" if n == args.n else f"   (n={n})"))


if __name__ == "__main__":
    main()
