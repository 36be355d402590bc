"""Pipeline wall time for the tabular rows of config/paper.yaml (Credit, Hepatitis,
Adult; T = 5; label-only attack off) against a plain script of the same work in
one process.

The script (``plain_protocol`` and ``plain_report`` below) calls the library's
functions directly in one process, no Snakemake: split, target, shadow, scratch
references, forgetting-recipe tuning, forgetting references, per-sample scores,
attacks and metrics, models of one role trained together as the pipeline does
(a baseline is only useful if it is the fastest honest way to do the same
work; the first one trained one model after another, 1.6x slower), one torch
thread; then the report the pipeline makes: Tables 1-4 with bootstrap intervals,
the comparison with the paper and the claims checklist (the ``tables`` job's
function; each split's bootstrap replicates come with its attacks, as in the
attack jobs) and Figures 1-2 (the ``figures`` job's), from
the part files it writes as the pipeline's jobs do. So the ratio measures
orchestration, process start-up and the files between jobs. Both run in this
invocation, the pipeline on a fresh copy of the workflow; the script's Markdown
tables are compared with the pipeline's, and the ratio is printed last.

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


def plain_protocol(cfg: dict) -> tuple[pd.DataFrame, dict[str, dict[str, list]]]:
    """The paper protocol for every dataset and split of ``cfg``, in one process.

    The fastest honest script with this library: models of one role (the T
    targets, the T shadows, the T x K scratch references, each tuning candidate's T
    copies, the forgetting references of one recipe) train together through
    ``fit_all``, as the pipeline's jobs do; everything else is one call per split.
    Returns the metrics of every split and, per dataset, the frames the
    pipeline's part files hold (``split``, ``scores``, ``attack_scores``,
    ``metrics``, ``bootstrap``: one per split, with a ``split`` column) for :func:`plain_report`."""
    import torch

    from diffcal.attacks.evaluate import attack_split
    from diffcal.attacks.scores import per_sample_outputs
    from diffcal.config import views as dview
    from diffcal.core.seeds import derive_seed
    from diffcal.data.registry import prepare
    from diffcal.data.splits import ids_with_role, split_of
    from diffcal.stats.bootstrap import replicate_seed, split_replicates
    from diffcal.training.fit import BASE_ROLES, fit_all, forget_ids, reference_ids, val_ids
    from diffcal.training.models import model_spec, new_model
    from diffcal.training.tune import pick_closest, recipe_grid

    torch.set_num_threads(1)
    cpu = torch.device("cpu")
    metrics = []
    parts: dict[str, dict[str, list]] = {}
    for name, ds in cfg["datasets"].items():
        part = parts[name] = {
            "split": [],
            "scores": [],
            "attack_scores": [],
            "metrics": [],
            "bootstrap": [],
        }
        d = prepare(ds["source"], cfg["data_dir"])
        spec = model_spec(d, ds["model"])
        recipe = dview.recipe(cfg, name, "plain")
        frecipe = dview.forget_recipe(cfg, name, "plain")
        refs = ds["references"]
        root, pat = cfg["root_seed"], refs["patience"]
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
                        val_ids(sp, refs, sub, "shadow_in", "shadow_out"),
                        split=t,
                    )
                )
        models["scratch"] = {t: [] for t in sps}
        for e in fit_all(d, jobs, recipe=recipe, device=cpu, patience=pat):
            models["scratch"][e["split"]].append(e)

        def fjobs(base, t, k, tag, sps=sps, models=models, root=root, name=name, refs=refs):
            sp = sps[t]
            ids = forget_ids(sp, root, name, t, refs["size_fraction"], k)
            return job(
                copy.deepcopy(models[base][t][0]["model"]),
                derive_seed(root, name, t, tag, k),
                ids,
                ids_with_role(sp, BASE_ROLES[base][1]),
                val_ids(sp, refs, ids, "shadow_out"),
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
            scores = pd.concat(frames, ignore_index=True)
            att, met = attack_split(scores, sp, cfg["attack"], split_index=t)
            metrics.append(met.assign(dataset=name, split=t))
            seed = replicate_seed(name, "plain", t)
            part["bootstrap"].append(split_replicates(scores, sp, att, met, split=t, seed=seed))
            for kind, frame in (
                ("split", sp),
                ("scores", scores),
                ("attack_scores", att),
                ("metrics", met),
            ):
                part[kind].append(frame.assign(split=np.int16(t))[["split", *frame.columns]])
    return pd.concat(metrics, ignore_index=True), parts


def plain_report(cfg: dict, parts: dict[str, dict[str, list]], out: Path) -> Path:
    """The pipeline's report from :func:`plain_protocol`'s frames: each dataset's
    part files under ``out`` (as the pipeline's jobs write them), Figures 1-2 per
    dataset and Tables 1-4 with intervals, comparison and claims, through the
    functions of the ``figures`` and ``tables`` jobs. Returns the tables folder."""
    from diffcal.config import views as dview
    from diffcal.core.io import write_csv, write_parquet
    from diffcal.stages.figures import run_figures
    from diffcal.stages.tables import run_tables

    runs = []
    for name, part in parts.items():
        path = {k: out / name / f"{k}.{'csv' if k == 'metrics' else 'parquet'}" for k in part}
        (out / name).mkdir(parents=True, exist_ok=True)
        for kind, frames in part.items():
            write = write_csv if kind == "metrics" else write_parquet
            write(pd.concat(frames, ignore_index=True), str(path[kind]))
        label = dview.label(cfg, name, "plain")
        fig = {n: tuple(str(out / name / f"{n}.{e}") for e in ("png", "pdf")) for n in (1, 2)}
        run_figures(
            attack_scores=str(path["attack_scores"]),
            metrics_csv=str(path["metrics"]),
            title=label,
            fig1=fig[1],
            fig2=fig[2],
            score=cfg["report"]["figure_score"],
            split=cfg["report"]["figure_split"],
        )
        runs += [
            {
                "dataset": name,
                "variant": "plain",
                "split": t,
                "label": label,
                "paper_row": cfg["datasets"][name].get("paper_row"),
                "metrics": str(path["metrics"]),
                "bootstrap": str(path["bootstrap"]),
                "scores": str(path["scores"]),
                "split_file": str(path["split"]),
            }
            for t in range(cfg["datasets"][name]["splits"])
        ]
    run_tables(runs=runs, out_dir=str(out / "tables"), attacks=dview.attack_columns(cfg))
    return out / "tables"


def run_pipeline(cfg: dict, cores: int, log: str | None = None) -> tuple[float, dict]:
    """Wall seconds of ``snakemake --cores cores all`` on ``cfg`` in a fresh copy of
    the workflow, and its Markdown tables (name -> text); its log goes to ``log``
    if given (``benchmarks/job_times.py``)."""
    with tempfile.TemporaryDirectory(prefix="diffcal-bench-") as tmp:
        wd = Path(tmp)
        shutil.copy2(REPO / "Snakefile", wd)
        for sub in ("workflow", "config", "src", "envs"):
            shutil.copytree(REPO / sub, wd / sub, ignore=shutil.ignore_patterns("__pycache__"))
        # in config order (sorted keys would reorder the tables' rows)
        (wd / "bench.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--cores",
                str(cores),
                "all",
                "--configfile",
                "bench.yaml",
            ],
            cwd=wd,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        if log:
            Path(log).write_text(proc.stderr)
        if proc.returncode != 0:
            sys.exit(f"pipeline failed:\n{proc.stderr[-3000:]}")
        return elapsed, _tables(wd / "results" / "tables" / cfg["name"])


def _tables(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.md"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--datasets", nargs="*", default=list(TABULAR))
    ap.add_argument("--log", help="write the pipeline's Snakemake log here")
    ap.add_argument("--keep", help="copy both runs' Markdown tables to this folder")
    args = ap.parse_args()
    cfg = load_config(args.data_dir)
    cfg["datasets"] = {k: v for k, v in cfg["datasets"].items() if k in args.datasets}
    with tempfile.TemporaryDirectory(prefix="diffcal-script-") as tmp:
        t0 = time.perf_counter()
        met, parts = plain_protocol(cfg)
        protocol = time.perf_counter() - t0
        ours = _tables(plain_report(cfg, parts, Path(tmp)))
        script = time.perf_counter() - t0
    print(
        f"plain script (1 process): {script:.1f} s (protocol {protocol:.1f} s, "
        f"report {script - protocol:.1f} s)"
    )
    print(met[met["attack"] == "loss_cal"].groupby("dataset")["auc"].mean().round(3).to_string())
    pipeline, theirs = run_pipeline(cfg, args.cores, args.log)
    print(f"pipeline (snakemake --cores {args.cores}): {pipeline:.1f} s")
    if args.keep:
        for who, tables in (("script", ours), ("pipeline", theirs)):
            (Path(args.keep) / who).mkdir(parents=True, exist_ok=True)
            for n, text in tables.items():
                (Path(args.keep) / who / n).write_text(text)
    same = [n for n in theirs if ours.get(n) == theirs[n]]
    print(
        f"Markdown tables equal to the pipeline's: {len(same)} of {len(theirs)}"
        + (
            f" (differ: {', '.join(sorted(set(theirs) - set(same)))})"
            if len(same) < len(theirs)
            else ""
        )
    )
    print(f"ratio pipeline / script: {pipeline / script:.2f}")


if __name__ == "__main__":
    main()
