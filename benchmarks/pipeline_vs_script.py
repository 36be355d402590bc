"""Pipeline wall time for the tabular rows of config/paper.yaml (Credit, Hepatitis,
Adult; T = 5; label-only attack off) against a plain script of the same protocol
in one process.

The script (``plain_protocol`` below) calls the library's functions directly in one
process with one torch thread, no Snakemake and no files: split, target, shadow,
scratch references, forgetting-recipe tuning, forgetting references, per-sample
scores, attacks and metrics, models of one role trained together as the pipeline
does (issue 22: a baseline is only useful if it is the fastest honest way to do
the same work; the previous one trained one model after another, 1.6x slower). It
leaves out what the pipeline adds: bootstrap intervals, tables, figures, files.
So the ratio measures orchestration, process start-up, I/O and the report. Both
run in this invocation, on a fresh copy of the workflow; the ratio is printed last.

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
    for ds in cfg["datasets"].values():  # Table 4 is not part of the script either
        ds["label_only"] = {**ds.get("label_only", {}), "enabled": False}
    cfg["data_dir"] = str(Path(data_dir).resolve())
    cfg["name"] = "bench"
    validate(cfg, str(REPO / "workflow/schemas/config.schema.yaml"))
    return cfg


def plain_protocol(cfg: dict) -> pd.DataFrame:
    """The paper protocol for every dataset and split of ``cfg``, in one process.

    The fastest honest script with this library: models of one role (the T
    targets, the T shadows, the T x K scratch references, each tuning candidate's T
    copies, the forgetting references of one recipe) train together through
    ``fit_all``, as the pipeline's jobs do; everything else is one call per split.
    No files, no intervals, no figures."""
    import torch

    from diffcal.attacks.evaluate import attack_split
    from diffcal.attacks.scores import per_sample_outputs
    from diffcal.config import views as dview
    from diffcal.core.seeds import derive_seed
    from diffcal.data.registry import prepare
    from diffcal.data.splits import ids_with_role, split_of
    from diffcal.training.fit import BASE_ROLES, fit_all, forget_ids, reference_ids, val_ids
    from diffcal.training.models import model_spec, new_model
    from diffcal.training.tune import pick_closest, recipe_grid

    torch.set_num_threads(1)
    cpu = torch.device("cpu")
    metrics = []
    for name, ds in cfg["datasets"].items():
        d = prepare(ds["source"], cfg["data_dir"])
        spec = model_spec(d, ds["model"])
        recipe = dview.recipe(cfg, name, "plain")
        frecipe = dview.forget_recipe(cfg, name, "plain")
        refs = ds["references"]
        root, es, pat = cfg["root_seed"], refs["early_stopping"], refs["patience"]
        sps = {
            t: split_of(
                d.n,
                root_seed=root,
                dataset=name,
                split_index=t,
                **dview.split_config(cfg, name, "plain"),
            )
            for t in range(ds["splits"])
        }

        def job(model, seed, train, test, val=None, **meta):
            return {
                "model": model,
                "seed": seed,
                "name": "",
                "train_ids": train,
                "test_ids": test,
                "val_ids": val,
                "meta": meta,
            }

        models: dict[str, dict[int, list]] = {}
        for role, (tr, te) in BASE_ROLES.items():
            jobs = [
                job(
                    new_model(spec, derive_seed(root, name, t, role, 0)),
                    derive_seed(root, name, t, role, 0),
                    ids_with_role(sp, tr),
                    ids_with_role(sp, te),
                    split=t,
                )
                for t, sp in sps.items()
            ]
            models[role] = {e["split"]: [e] for e in fit_all(d, jobs, recipe=recipe, device=cpu)}
        jobs = []
        for t, sp in sps.items():
            for k in range(refs["scratch"]):
                seed = derive_seed(root, name, t, "scratch", k)
                sub = reference_ids(
                    sp, refs["size_fraction"], derive_seed(root, name, t, "reference_subset", k)
                )
                jobs.append(
                    job(
                        new_model(spec, seed),
                        seed,
                        sub,
                        ids_with_role(sp, "shadow_in", "shadow_out"),
                        val_ids(sp, es, "shadow_in", "shadow_out"),
                        split=t,
                    )
                )
        models["scratch"] = {t: [] for t in sps}
        for e in fit_all(d, jobs, recipe=recipe, device=cpu, patience=pat):
            models["scratch"][e["split"]].append(e)

        def fjobs(base, t, k, tag, sps=sps, models=models, root=root, name=name, refs=refs, es=es):
            sp = sps[t]
            return job(
                copy.deepcopy(models[base][t][0]["model"]),
                derive_seed(root, name, t, tag, k),
                forget_ids(sp, root, name, t, refs["size_fraction"], k),
                ids_with_role(sp, BASE_ROLES[base][1]),
                val_ids(sp, es, "shadow_out"),
                split=t,
            )

        chosen = {t: {} for t in sps}
        if ds.get("forget_tuning"):
            cands = recipe_grid(dict(sorted(ds["forget_tuning"].items())))
            accs = {}
            for i, c in enumerate(cands):
                jobs = [fjobs("shadow", t, 0, "forget_tune") for t in sps]
                for e in fit_all(d, jobs, recipe={**frecipe, **c}, device=cpu, patience=pat):
                    accs[e["split"], i] = (e["train_acc"], e["test_acc"])
            for t in sps:
                goal = models["shadow"][t][0]
                best = pick_closest(
                    [accs[t, i][0] for i in range(len(cands))],
                    [accs[t, i][1] for i in range(len(cands))],
                    goal["train_acc"],
                    goal["test_acc"],
                )
                chosen[t] = cands[best]
        for base in BASE_ROLES:
            models[f"forget_{base}"] = {t: [] for t in sps}
            groups: dict[str, tuple[dict, list]] = {}
            for t in sps:
                r = {**frecipe, **chosen[t]}
                for k in range(refs["forget"]):
                    groups.setdefault(repr(sorted(r.items())), (r, []))[1].append(
                        fjobs(base, t, k, f"forget_{base}")
                    )
            for r, jobs in groups.values():
                for e in fit_all(d, jobs, recipe=r, device=cpu, patience=pat):
                    models[f"forget_{base}"][e["split"]].append(e)
        for t, sp in sps.items():
            ids = {r: ids_with_role(sp, r) for r in sp["role"].unique()}
            private = np.sort(np.concatenate([ids["member"], ids["nonmember"]]))
            thr = np.sort(np.concatenate([ids["shadow_in"], ids["shadow_out"]]))
            sets = {
                "target": private,
                "forget_target": private,
                "shadow": thr,
                "forget_shadow": thr,
                "scratch": np.sort(np.concatenate([private, thr])),
            }
            frames = []
            for mname, per_split in models.items():
                for k, e in enumerate(per_split[t]):
                    o = per_sample_outputs(
                        e["model"],
                        d.features(sets[mname]),
                        d.y[sets[mname]],
                        batch_size=ds["score"]["batch_size"],
                    )
                    frames.append(
                        pd.DataFrame(
                            {
                                "model": mname,
                                "ref": k,
                                "sample_id": sets[mname],
                                "correct": o["correct"],
                                "loss": o["loss"],
                                "grad_norm": o["grad_norm"],
                                "max_log_prob": o["max_log_prob"],
                            }
                        )
                    )
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
