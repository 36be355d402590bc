"""Pipeline wall time for the tabular rows of config/paper.yaml (Credit, Hepatitis,
Adult; T = 5) against a plain sequential script of the same protocol in one process.

The script (``plain_protocol`` below) calls the library's functions directly, one
model after another with one torch thread, no Snakemake and no files: split, target,
shadow, scratch references, forgetting-recipe tuning, forgetting references,
per-sample scores, attacks and metrics. So the ratio measures what orchestration,
process start-up and I/O cost, not different maths. Both run in this invocation, on
a fresh copy of the workflow; the ratio is printed last.

    python benchmarks/pipeline_vs_script.py --data-dir ../shared/data [--cores 2]
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
TABULAR = ("credit", "hepatitis", "adult")


def load_config(data_dir: str) -> dict:
    """config/paper.yaml restricted to the tabular rows, defaults filled in."""
    from snakemake.utils import validate

    cfg = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    cfg["datasets"] = {k: v for k, v in cfg["datasets"].items() if k in TABULAR}
    cfg["data_dir"] = str(Path(data_dir).resolve())
    cfg["name"] = "bench"
    validate(cfg, str(REPO / "workflow/schemas/config.schema.yaml"))
    return cfg


def plain_protocol(cfg: dict) -> pd.DataFrame:
    """The paper protocol for every dataset and split of ``cfg``, sequentially."""
    import torch

    from diffcal.attacks.evaluate import attack_split
    from diffcal.attacks.scores import per_sample_outputs
    from diffcal.config import views as dview
    from diffcal.core.seeds import derive_seed
    from diffcal.data.registry import prepare
    from diffcal.data.splits import ids_with_role, split_of, subsample
    from diffcal.training.models import build_model
    from diffcal.training.train import accuracy, train_model
    from diffcal.training.tune import pick_closest, recipe_grid

    torch.set_num_threads(1)
    metrics = []
    for name, ds in cfg["datasets"].items():
        d = prepare(ds["source"], cfg["data_dir"])
        arch, kw = ds["model"]["arch"], ds["model"].get("kwargs") or {}
        recipe = dview.recipe(cfg, name, "plain")
        frecipe = dview.forget_recipe(cfg, name, "plain")
        refs = ds["references"]
        root = cfg["root_seed"]

        def new(seed, arch=arch, kw=kw, d=d):
            return build_model(arch, d.x.shape[1:], d.num_classes, seed=seed, **kw)

        def fit(model, ids, r, seed, val_ids=None, d=d, refs=refs):
            val = None if val_ids is None else (d.features(val_ids), d.y[val_ids])
            train_model(model, d.features(ids), d.y[ids], recipe=r, seed=seed, val=val,
                        patience=refs["patience"] if val is not None else None)  # fmt: skip
            return model

        for t in range(ds["splits"]):
            sp = split_of(d.n, root_seed=root, dataset=name, split_index=t,
                          **dview.split_config(cfg, name, "plain"))  # fmt: skip
            ids = {r: ids_with_role(sp, r) for r in sp["role"].unique()}
            pool = ids["reference"]
            size = max(1, round(refs["size_fraction"] * len(pool)))
            es = refs["early_stopping"]
            thr = np.sort(np.concatenate([ids["shadow_in"], ids["shadow_out"]]))
            models = {}
            for role, train_role in (("target", "member"), ("shadow", "shadow_in")):
                s = derive_seed(root, name, t, role, 0)
                models[role] = [fit(new(s), ids[train_role], recipe, s)]
            models["scratch"] = []
            for k in range(refs["scratch"]):
                s = derive_seed(root, name, t, "scratch", k)
                sub = subsample(pool, size, seed=derive_seed(root, name, t, "reference_subset", k))
                models["scratch"].append(fit(new(s), sub, recipe, s, thr if es else None))

            def forget_ids(k, t=t, pool=pool, size=size, root=root, name=name):
                return subsample(pool, size, seed=derive_seed(root, name, t, "forget_subset", k))

            chosen = {}
            if ds.get("forget_tuning"):
                shadow = models["shadow"][0]
                goal = (
                    accuracy(shadow, d.features(ids["shadow_in"]), d.y[ids["shadow_in"]]),
                    accuracy(shadow, d.features(ids["shadow_out"]), d.y[ids["shadow_out"]]),
                )
                cands = recipe_grid(dict(sorted(ds["forget_tuning"].items())))
                accs = []
                for c in cands:
                    s = derive_seed(root, name, t, "forget_tune", 0)
                    m = fit(copy.deepcopy(shadow), forget_ids(0), {**frecipe, **c}, s,
                            ids["shadow_out"] if es else None)  # fmt: skip
                    tr = forget_ids(0)
                    accs.append((accuracy(m, d.features(tr), d.y[tr]),
                                 accuracy(m, d.features(ids["shadow_out"]),
                                          d.y[ids["shadow_out"]])))  # fmt: skip
                best = pick_closest([a[0] for a in accs], [a[1] for a in accs], *goal)
                chosen = cands[best]
            for base in ("target", "shadow"):
                models[f"forget_{base}"] = []
                for k in range(refs["forget"]):
                    s = derive_seed(root, name, t, f"forget_{base}", k)
                    models[f"forget_{base}"].append(
                        fit(copy.deepcopy(models[base][0]), forget_ids(k),
                            {**frecipe, **chosen}, s, ids["shadow_out"] if es else None)
                    )  # fmt: skip
            private = np.sort(np.concatenate([ids["member"], ids["nonmember"]]))
            sets = {
                "target": private,
                "forget_target": private,
                "shadow": thr,
                "forget_shadow": thr,
                "scratch": np.sort(np.concatenate([private, thr])),
            }
            frames = []
            for mname, ms in models.items():
                for k, m in enumerate(ms):
                    o = per_sample_outputs(m, d.features(sets[mname]), d.y[sets[mname]],
                                           batch_size=ds["score"]["batch_size"])  # fmt: skip
                    frames.append(pd.DataFrame({
                        "model": mname, "ref": k, "sample_id": sets[mname],
                        "correct": o["correct"], "loss": o["loss"],
                        "grad_norm": o["grad_norm"], "max_log_prob": o["max_log_prob"],
                    }))  # fmt: skip
            _, met = attack_split(pd.concat(frames), sp, cfg["attack"], split_index=t)
            metrics.append(met.assign(dataset=name, split=t))
    return pd.concat(metrics, ignore_index=True)


def run_pipeline(cfg: dict, cores: int) -> float:
    with tempfile.TemporaryDirectory(prefix="diffcal-bench-") as tmp:
        wd = Path(tmp)
        shutil.copy2(REPO / "Snakefile", wd)
        for sub in ("workflow", "config", "src", "envs"):
            shutil.copytree(REPO / sub, wd / sub, ignore=shutil.ignore_patterns("__pycache__"))
        (wd / "bench.yaml").write_text(yaml.safe_dump(cfg))
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", "--cores", str(cores), "all", "-q",
             "--configfile", "bench.yaml"],
            cwd=wd, capture_output=True, text=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"pipeline failed:\n{proc.stderr[-3000:]}")
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--datasets", nargs="*", default=list(TABULAR))
    args = ap.parse_args()
    cfg = load_config(args.data_dir)
    cfg["datasets"] = {k: v for k, v in cfg["datasets"].items() if k in args.datasets}
    t0 = time.perf_counter()
    met = plain_protocol(cfg)
    script = time.perf_counter() - t0
    print(f"plain script (1 process, 1 thread): {script:.1f} s")
    print(met[met["attack"] == "loss_cal"].groupby("dataset")["auc"].mean().round(3).to_string())
    pipeline = run_pipeline(cfg, args.cores)
    print(f"pipeline (snakemake --cores {args.cores}): {pipeline:.1f} s")
    print(f"ratio pipeline / script: {pipeline / script:.2f}")


if __name__ == "__main__":
    main()
