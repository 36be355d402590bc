"""A training job's start-up: a fresh Python process that imports torch and
diffcal's training loop and trains one small MLP for one epoch, with
``torch.optim.SGD`` (baseline: its methods import ``torch._dynamo`` on first use)
against :class:`diffcal.training.train.SGD` (the same update through torch's
functional ``sgd``, no ``torch._dynamo``). Every training job of the
workflow pays this once.

Prints the best of ``--repeats`` fresh processes for each, alternating, and the
ratio (baseline / ours), both measured in this run.

    python benchmarks/train_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

CODE = """
import sys, numpy as np, torch
from diffcal.training import train
from diffcal.training.models import build_model
if sys.argv[1] == "torch":  # the baseline: torch.optim.SGD (constant schedule)
    def optimizer(params, r, steps, foreach=None):
        opt = train.sgd(params, r)
        opt.zero_grad = lambda: torch.optim.SGD.zero_grad(opt, set_to_none=True)
        return opt, None
    train.optimizer = optimizer
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 61)).astype(np.float32)
y = rng.integers(0, 2, 256)
train.train_model(build_model("mlp", (61,), 2, seed=0), x, y, seed=1, name="m",
                  recipe={"epochs": 1, "batch_size": 64, "lr": 0.01}, device=torch.device("cpu"))
print("torch._dynamo" in sys.modules)
"""


def run(kind: str) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CODE, kind], capture_output=True, text=True, check=True
    )
    return time.perf_counter() - t, out.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    run("ours")  # warm the file cache
    times: dict[str, list[float]] = {"torch": [], "ours": []}
    dynamo = {}
    for _ in range(args.repeats):
        for kind in times:
            t, dynamo[kind] = run(kind)
            times[kind].append(t)
    base, ours = min(times["torch"]), min(times["ours"])
    print(f"torch.optim.SGD (baseline): {base:6.2f} s  imports torch._dynamo: {dynamo['torch']}")
    print(f"diffcal SGD:                {ours:6.2f} s  imports torch._dynamo: {dynamo['ours']}")
    print(f"saved per training job: {base - ours:.2f} s; ratio {base / ours:.2f}x")


if __name__ == "__main__":
    main()
