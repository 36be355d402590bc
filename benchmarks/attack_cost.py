"""What each attack of the comparison costs besides the target, in CPU-seconds:
one pool reference of each dataset of ``config/compare.yaml`` (the
target's architecture and recipe, on a random half of split 0's candidates) and the
quantile attack's regressor (its config, on the split's population samples, fit to a
model's LiRA statistic), both timed with ``time.process_time`` on one torch thread.

An attack with a budget of M references costs M references; the calibrated loss,
LiRA and RMIA all read the same pool, so their cost at equal M is equal. Prints the
regressor's cost as a ratio to one reference's, measured in the same run.

Not counted: the target (every attack needs it) and the scoring passes (one
forward pass per model and sample, small beside training). In the pipeline the
pool's MLPs train 16 together (``diffcal.training.stacked``), cheaper per model
than the one-alone figure here (``benchmarks/train_together.py``); CNNs train one
after another, as here.

    python benchmarks/attack_cost.py --data-dir ../shared/data [--datasets adult mnist]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--config", default=str(REPO / "config/compare.yaml"))
    ap.add_argument("--datasets", nargs="*", help="default: every dataset compared")
    args = ap.parse_args()

    import torch

    from diffcal.attacks.quantile import fit_quantile_mlp, quantile_inputs
    from diffcal.attacks.reference import logit_confidence
    from diffcal.config import views as dview
    from diffcal.config.load import load_config
    from diffcal.core.seeds import derive_seed
    from diffcal.data.registry import prepare
    from diffcal.data.splits import ids_with_role, split_of, subsample
    from diffcal.stages.compare_quantile import split_population
    from diffcal.training.fit import fit_all
    from diffcal.training.model_files import model_spec, new_model
    from diffcal.training.train import image_batch, image_layout

    torch.set_num_threads(1)
    cfg = load_config(args.config)
    cfg["data_dir"] = args.data_dir
    q = cfg["compare"]["quantile"]
    print(
        f"{'dataset':<16} {'reference CPU-s':>16} {'regressor CPU-s':>16} {'ratio':>7}  "
        f"M=1..{cfg['compare']['references']} references CPU-s"
    )
    for name, variants in cfg["compare"]["datasets"].items():
        if args.datasets and name not in args.datasets:
            continue
        v = variants[0]
        ds = cfg["datasets"][name]
        d = prepare(ds["source"], args.data_dir, **ds.get("source_kwargs", {}))
        sp = split_of(
            d.n,
            root_seed=cfg["root_seed"],
            dataset=name,
            split_index=0,
            **dview.split_config(cfg, name, v),
        )
        cand = ids_with_role(sp, "member", "nonmember")
        half = subsample(cand, len(cand) // 2, seed=derive_seed(0, "bench", name))
        seed = derive_seed(cfg["root_seed"], name, 0, "pool", 0)
        spec = model_spec(d, ds["model"])
        job = {
            "model": new_model(spec, seed),
            "seed": seed,
            "name": f"{name} reference",
            "train_ids": half,
            "test_ids": np.setdiff1d(cand, half),
            "meta": {},
        }
        t0 = time.process_time()
        model = fit_all(d, [job], recipe=dview.recipe(cfg, name, v), device=torch.device("cpu"))[0][
            "model"
        ]
        ref_cpu = time.process_time() - t0
        pool = ids_with_role(sp, "reference", "shadow_in", "shadow_out")
        pop = subsample(pool, min(cfg["compare"]["population"], len(pool)), seed=seed)
        # the fit and validation samples exactly as compare_quantile draws them
        fit, _ = split_population(pop, q["holdout"], seed)
        pop, val = split_population(fit, 0.2, seed + 1)
        model.eval()
        image_layout(model, d.features(pop[:1]).ndim)

        def stat(ids, model=model, d=d):
            with torch.no_grad():
                z = model(image_batch(torch.as_tensor(d.features(ids)))).double().numpy()
            return logit_confidence(z, d.y[ids])

        x = quantile_inputs(d.features(pop), d.y[pop], d.num_classes)
        xv = quantile_inputs(d.features(val), d.y[val], d.num_classes)
        y, yv = stat(pop), stat(val)
        t0 = time.process_time()
        fit_quantile_mlp(
            x,
            y,
            q["tau"],
            hidden=q["hidden"],
            epochs=q["epochs"],
            lr=q["lr"],
            batch_size=q["batch_size"],
            seed=1,
            val=(xv, yv),
            patience=q["patience"],
        )
        reg_cpu = time.process_time() - t0
        budgets = " / ".join(f"{m * ref_cpu:.0f}" for m in cfg["compare"]["budgets"])
        print(
            f"{name:<16} {ref_cpu:>16.1f} {reg_cpu:>16.1f} {reg_cpu / ref_cpu:>7.3f}  "
            f"{budgets}   (regressor on {len(pop)} samples, {x.shape[1]} inputs)",
            flush=True,
        )


if __name__ == "__main__":
    main()
