"""HopSkipJump throughput: diffcal's batched implementation against ART's, at equal
query budget, on the same model and points.

For each model (the Credit MLP trained on German Credit members; the CIFAR CNN
trained on the CIFAR-10 subset), both attacks run on the same ``--points`` points
with the same max_iter / max_eval / init_eval / init_size and the same clip range.
Prints points per second of each, their ratio (ours / ART), and both median
distances (misclassified points count 0 in both, the label-only rule). ART attacks
one point at a time, so it runs on ``--art-points`` of the points (its per-point
cost does not depend on how many); medians are compared on those shared points.

    python benchmarks/hsj_vs_art.py --data-dir ../shared/data [--budget 10,1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from diffcal.attacks.hsj import boundary_distance
from diffcal.data.registry import prepare
from diffcal.training.models import build_model
from diffcal.training.train import image_batch, image_layout, train_model

MODELS = {  # name: (source, arch, kwargs, recipe, train rows)
    "Credit MLP": (
        "german_credit",
        "mlp",
        {"hidden_mult": 2},
        {
            "epochs": 80,
            "batch_size": 64,
            "lr": 0.01,
            "momentum": 0.9,
            "nesterov": True,
            "weight_decay": 1e-4,
        },
        250,
    ),
    "CIFAR CNN": (
        "cifar10_subset",
        "cifar_cnn",
        {"input_mean": [0.4914, 0.4822, 0.4465], "input_std": [0.2470, 0.2435, 0.2616]},
        {"epochs": 8, "batch_size": 32, "lr": 0.05, "weight_decay": 5e-4},
        1250,
    ),
}


def art_run(model, x, y, clip, budget, seed):
    from art.attacks.evasion import HopSkipJump
    from art.estimators.classification import PyTorchClassifier

    class Float32(torch.nn.Module):  # ART's binary search promotes inputs to float64
        def forward(self, z):
            return z.float()

    clf = PyTorchClassifier(
        torch.nn.Sequential(Float32(), model),
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=x.shape[1:],
        nb_classes=int(model(torch.as_tensor(x[:1])).shape[1]),
        clip_values=clip,
    )
    np.random.seed(seed)  # noqa: NPY002 (ART draws from numpy's global generator)
    attack = HopSkipJump(clf, norm=2, verbose=False, **budget)
    x_adv = attack.generate(x)
    pred = clf.predict(x).argmax(1)
    dist = np.linalg.norm((x_adv - x).reshape(len(x), -1), axis=1)
    return np.where(pred != y, 0.0, dist)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default="../shared/data")
    ap.add_argument(
        "--budget", default="10,1000", help="max_iter,max_eval (init_eval 100, init_size 100)"
    )
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--art-points", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    it, ev = (int(v) for v in args.budget.split(","))
    budget = {"max_iter": it, "max_eval": ev, "init_eval": 100, "init_size": 100}
    print(
        f"budget {budget}, {args.threads} threads, ours on {args.points} points, "
        f"ART on the first {args.art_points} of them"
    )
    print(
        f"{'model':<12} {'ours pts/s':>11} {'ART pts/s':>10} {'ratio':>7} "
        f"{'median ours':>12} {'median ART':>11}"
    )
    for name in args.models:
        source, arch, kwargs, recipe, n_train = MODELS[name]
        d = prepare(source, data_dir=args.data_dir)
        rng = np.random.default_rng(0)
        order = rng.permutation(d.n)
        tr, te = order[:n_train], order[n_train : n_train + args.points]
        x_all = d.features()
        clip = (float(x_all.min()), float(x_all.max()))
        model = build_model(arch, x_all.shape[1:], d.num_classes, seed=0, **kwargs)
        train_model(model, x_all[tr], d.y[tr], recipe=recipe, seed=0)
        model.eval()
        x, y = x_all[te], d.y[te]
        with torch.no_grad():
            right = model(torch.as_tensor(x)).argmax(1).numpy() == y
        # Both attack points the model classifies correctly (a misclassified point
        # costs one query and gets distance 0 in both): the same work per point.
        x, y = x[right], y[right]
        k = min(args.art_points, len(x))
        t0 = time.perf_counter()
        art = art_run(model, x[:k], y[:k], clip, budget, seed=0)
        t_art = time.perf_counter() - t0
        image_layout(model, x.ndim)  # what the label_only stage does: forward only
        t0 = time.perf_counter()
        ours = boundary_distance(
            lambda z, m=model: m(image_batch(z)), x, y, clip=clip, seed=0, **budget
        )
        t_ours = time.perf_counter() - t0
        ours_pps, art_pps = len(x) / t_ours, k / t_art
        print(
            f"{name:<12} {ours_pps:>11.1f} {art_pps:>10.2f} {ours_pps / art_pps:>6.1f}x "
            f"{np.median(ours.distance[:k]):>12.4f} {np.median(art):>11.4f}   "
            f"({len(x)} / {k} correctly classified points)"
        )


if __name__ == "__main__":
    main()
