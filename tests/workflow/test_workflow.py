"""End to end: a tiny real run, determinism, and what a change reruns (dry runs)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import copy_workflow, planned_jobs, snakemake
from sklearn.metrics import roc_auc_score

from diffcal.training.model_files import load_models

CFG = ("--configfile", "tests/data/tiny.yaml")
OUTER = """module diffcal:
    snakefile: "{snakefile}"
    config: config
use rule * from diffcal
"""
REPORT_RULES = {"attack", "tables", "figures"}


def _clone_run(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)  # keeps mtimes and .snakemake metadata
    return dest


def _edit_config(wd: Path, edit) -> None:
    path = wd / "tests/data/tiny.yaml"
    cfg = yaml.safe_load(path.read_text())
    edit(cfg)
    path.write_text(yaml.safe_dump(cfg))


def test_attack_setting_change_retrains_nothing(tiny_run, tmp_path):
    wd = _clone_run(tiny_run, tmp_path / "wd")
    _edit_config(wd, lambda c: c["attack"].update(fpr_levels=[0.05, 0.2]))
    jobs = planned_jobs(wd, *CFG)
    assert {r for r, _ in jobs} == REPORT_RULES
    assert sum(r == "attack" for r, _ in jobs) == 2  # every part (of 3 splits)


def test_training_change_retrains_only_that_dataset(tiny_run, tmp_path):
    wd = _clone_run(tiny_run, tmp_path / "wd")
    _edit_config(wd, lambda c: c["datasets"]["breast_cancer"]["train"].update(lr=0.05))
    jobs = planned_jobs(wd, *CFG)
    rules = {r for r, _ in jobs}
    assert {"train_base", "train_scratch", "train_forget", "score"} <= rules
    assert not rules & {"prepare", "split"}
    trained = [w for r, w in jobs if r.startswith("train") or r == "score"]
    assert trained and all(w["dataset"] == "breast_cancer" for w in trained)


def test_forget_change_retrains_only_forgetting_models(tiny_run, tmp_path):
    wd = _clone_run(tiny_run, tmp_path / "wd")
    _edit_config(wd, lambda c: c["datasets"]["breast_cancer"]["forget"].update(epochs=3))
    jobs = planned_jobs(wd, *CFG)
    assert {r for r, _ in jobs} == {"train_forget", "score"} | REPORT_RULES
    assert [w["part"] for r, w in jobs if r == "train_forget"] == ["0-1"]  # both splits, one job
    # with a tuning grid, the tuning reruns too, and nothing else is retrained
    _edit_config(wd, lambda c: c["datasets"]["digits"]["forget_tuning"].update(lr=[0.02]))
    jobs = planned_jobs(wd, *CFG)
    tuned = {(r, w["dataset"]) for r, w in jobs if r in ("tune_forget", "train_forget")}
    assert ("tune_forget", "digits") in tuned
    assert {r for r, _ in jobs} == {"tune_forget", "train_forget", "score"} | REPORT_RULES


def test_forget_tuning_and_early_stopping_outputs(tiny_run):
    from diffcal.training.model_files import load_models

    split = tiny_run / "results/digits/plain/split0"
    table = pd.read_csv(split / "forget_tuning.csv")
    chosen = yaml.safe_load((split / "forget_tuning.json").read_text())["0"]
    assert len(table) == 4 and table["chosen"].sum() == 1  # 2 lr x 2 epochs
    row = table[table["chosen"]].iloc[0]
    assert row["distance"] == table["distance"].min()
    assert chosen["chosen"] == {"lr": row["lr"], "epochs": int(row["epochs"])}
    assert list(table.columns[:3]) == ["split", "epochs", "lr"]  # grid keys in sorted order
    goal = chosen["goal"]
    _, (shadow,) = load_models(split / "models/shadow.pt")
    assert goal == {"train_acc": shadow["train_acc"], "test_acc": shadow["test_acc"]}
    for kind in ("forget_target", "forget_shadow"):
        (path,) = split.glob(f"models/{kind}*.pt")  # one chunk: models_per_job unset
        _, entries = load_models(path)
        for e in entries:
            assert {k: e["recipe"][k] for k in chosen["chosen"]} == chosen["chosen"]
            assert 1 <= e["best_epoch"] <= e["epochs_run"] <= chosen["chosen"]["epochs"]
    _, scratch = load_models(split / "models/scratch0-1.pt")  # K = 2, one chunk
    assert all(1 <= e["best_epoch"] <= e["epochs_run"] <= 4 for e in scratch)
    # breast cancer has no early stopping: no best_epoch recorded
    _, bc = load_models(tiny_run / "results/breast_cancer/plain/split0-1/models/scratch0.pt")
    assert [e["split"] for e in bc] == [0, 1] and all("best_epoch" not in e for e in bc)


@pytest.mark.parametrize(
    "module, expected",
    [
        ("attacks/metrics.py", REPORT_RULES),
        ("stages/attack.py", REPORT_RULES),
        ("attacks/scores.py", {"score"} | REPORT_RULES),
        # table formatting reruns the tables, not the figures (and vice versa)
        ("reporting/tables.py", {"tables"}),
        ("stages/figures.py", {"figures"}),
        (
            "training/train.py",
            {"train_base", "train_scratch", "tune_forget", "train_forget", "score"} | REPORT_RULES,
        ),
        # One rule's function reruns that rule (and what reads its output)
        ("stages/tune_forget.py", {"tune_forget", "train_forget", "score"} | REPORT_RULES),
        ("stages/train_scratch.py", {"train_scratch", "score"} | REPORT_RULES),
    ],
)
def test_library_edit_reruns_only_dependants(tiny_run, tmp_path, module, expected):
    wd = _clone_run(tiny_run, tmp_path / "wd")
    path = wd / "src/diffcal" / module
    path.write_text(path.read_text() + "\n# an edit\n")
    assert {r for r, _ in planned_jobs(wd, *CFG)} == expected


def test_same_config_gives_byte_identical_outputs(tiny_run, tmp_path):
    """The tiny config run again elsewhere, through a three-line outer Snakefile that
    uses this workflow as a Snakemake module, on 1 core instead of 2: every output
    equals the first run's byte for byte, and holds no absolute path."""
    wd = tmp_path / "run_b"
    wd.mkdir()
    (wd / "Snakefile").write_text(OUTER.format(snakefile=tiny_run / "Snakefile"))
    snakemake(wd, "all", "--cores", "1", "--configfile", str(tiny_run / "tests/data/tiny.yaml"))
    compared = 0
    for f in sorted((tiny_run / "results").rglob("*")):
        if f.suffix in {".parquet", ".csv", ".md", ".tex", ".png", ".pdf", ".npz", ".pt", ".json"}:
            other = wd / f.relative_to(tiny_run)
            assert f.read_bytes() == other.read_bytes(), f"{f.relative_to(tiny_run)} differs"
            compared += 1
    assert compared >= 30
    assert any(f.suffix == ".pt" for f in (tiny_run / "results").rglob("*"))
    # no absolute paths in the outputs
    for f in (wd / "results").rglob("*"):
        if f.suffix in {".csv", ".md", ".tex", ".parquet"}:
            assert str(wd).encode() not in f.read_bytes()


def test_report_embeds_every_declared_output_with_its_caption(tiny_run, tmp_path):
    """snakemake --report embeds the bytes of each report() output of the run (Tables
    1-4 in md/csv/tex, the summary, the comparison and claims, Figures 1-2 of every
    dataset), each with its caption, and nothing that was not declared."""
    import base64

    wd = _clone_run(tiny_run, tmp_path / "wd")
    snakemake(wd, *CFG, "--report", "report.html")
    html = (wd / "report.html").read_text(errors="replace")
    tables = wd / "results/tables/default"
    declared = [
        tables / f"{n}.{e}"
        for n in ("table1_target_accuracy", "table2_auc", "table3_acc", "table4_label_only")
        for e in ("md", "csv", "tex")
    ]
    declared += [
        tables / f for f in ("metrics_summary.csv", "comparison_with_paper.md", "claims.md")
    ]
    declared += sorted((wd / "results/figures").glob("*/plain/*.png"))
    assert len(declared) == 15 + 4
    for path in declared:
        assert base64.b64encode(path.read_bytes()).decode() in html, path.name
    assert base64.b64encode((tables / "comparison_counts.md").read_bytes()).decode() not in html
    for rst in ("table2_auc", "fig1", "fig2", "claims"):
        caption = (wd / f"workflow/report/{rst}.rst").read_text().strip()
        assert caption[:60] in html, rst


def test_splits_per_job_plans_one_job_per_part(tmp_path):
    """splits_per_job: 1 gives one job per split and stage; the default, one per dataset."""
    wd = copy_workflow(tmp_path / "wd")
    jobs = planned_jobs(wd, *CFG)
    per_rule = {}
    for r, w in jobs:
        if r in {"split", "train_base", "train_scratch", "train_forget", "score", "attack"}:
            per_rule.setdefault(r, []).append((w["dataset"], w["part"]))
    for r, parts in per_rule.items():
        assert sorted(parts) == [("breast_cancer", "0-1"), ("digits", "0")], r
    _edit_config(wd, lambda c: c["datasets"]["breast_cancer"].update(splits_per_job=1))
    jobs = planned_jobs(wd, *CFG)
    parts = sorted(w["part"] for r, w in jobs if r == "train_base" and w["dataset"] != "digits")
    assert parts == ["0", "1"]


def test_resume_after_kill_9_as_documented(tiny_run, tmp_path):
    """SIGKILL a run mid-job, then resume as the README says
    (`snakemake --unlock`, then the same command): the outputs equal an
    uninterrupted run's, byte for byte."""
    wd = copy_workflow(tmp_path / "killed")
    cmd = [sys.executable, "-m", "snakemake", "all", "--cores", "1", *CFG]
    proc = subprocess.Popen(
        cmd, cwd=wd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    started = wd / "logs/breast_cancer/plain/split0-1/train_scratch0.log"
    deadline = time.time() + 300
    while not started.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert started.exists() and proc.poll() is None, "run ended before the kill point"
    time.sleep(1.0)  # inside the job
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (wd / "results/tables/default/table2_auc.md").exists()
    snakemake(wd, "--unlock", *CFG)
    snakemake(wd, *cmd[3:])  # the same command again
    compared = 0
    for f in sorted((tiny_run / "results").rglob("*")):
        if f.is_file():
            other = wd / f.relative_to(tiny_run)
            assert f.read_bytes() == other.read_bytes(), f"{f.relative_to(tiny_run)} differs"
            compared += 1
    assert compared >= 30


def test_loader_edit_reruns_only_that_dataset(tiny_run, tmp_path):
    """Editing the digits loader reruns digits' jobs, not breast_cancer's."""
    wd = _clone_run(tiny_run, tmp_path / "wd")
    path = wd / "src/diffcal/data/sources/digits.py"
    path.write_text(path.read_text() + "\n# an edit\n")
    jobs = planned_jobs(wd, *CFG)
    assert ("prepare", {"dataset": "digits"}) in jobs
    assert {w.get("dataset") for r, w in jobs if r not in ("tables",)} == {"digits"}


def test_label_only_attack_trains_and_scores_nothing(tiny_run, tmp_path):
    """Turning the label-only attack on plans label_only jobs and the
    report, never a training or scoring job; its metrics join metrics.csv and
    Table 4; its attack scores recompute from label_only.parquet; a rerun of the
    job on one worker gives the same bytes as the first on two."""
    wd = _clone_run(tiny_run, tmp_path / "wd")
    lo = {"enabled": True, "points": 10, "max_iter": 4, "max_eval": 200, "init_eval": 50}
    _edit_config(wd, lambda c: c["datasets"]["breast_cancer"].update(label_only=lo))
    jobs = planned_jobs(wd, *CFG)
    assert {r for r, _ in jobs} == {"label_only"} | REPORT_RULES
    assert {w["dataset"] for r, w in jobs if r in ("label_only", "attack")} == {"breast_cancer"}
    snakemake(wd, "all", "--cores", "2", *CFG)
    part = wd / "results/breast_cancer/plain/split0-1"
    met = pd.read_csv(part / "metrics.csv").set_index(["split", "attack"])
    for t in (0, 1):
        for cal in ("orig", "cal", "calf"):
            row = met.loc[(t, f"boundary_{cal}")]
            assert row["n_members"] == row["n_nonmembers"] == 10 and 0 <= row["auc"] <= 1
    t4 = (wd / "results/tables/default/table4_label_only.md").read_text()
    assert "| breast_cancer |" in t4 and "Digits" not in t4 and "digits" not in t4
    lab = pd.read_parquet(part / "label_only.parquet")
    att = pd.read_parquet(part / "attack_scores.parquet")
    ev = att[(att["split"] == 0) & (att["set"] == "eval")].set_index("sample_id")
    got = ev["boundary_cal"].dropna()
    assert len(got) == 20
    d = lab[lab["split"] == 0].pivot_table(index="sample_id", columns="model", values="distance")
    pd.testing.assert_series_equal(
        got, (d["target"] - d["scratch"]).loc[got.index], check_names=False
    )
    before = (part / "label_only.parquet").read_bytes()
    # rerun on one core: one worker instead of two, the same bytes
    snakemake(wd, "all", "--cores", "1", *CFG, "--forcerun", "label_only")
    assert (part / "label_only.parquet").read_bytes() == before
    assert planned_jobs(wd, *CFG) == []
    # code edits: the HopSkipJump module reruns the label-only jobs (and what reads
    # them); the score stage's module does not, nor the score maths
    for module, expected in [
        ("attacks/hsj.py", {"label_only"} | REPORT_RULES),
        ("stages/score.py", {"score"} | REPORT_RULES),
        ("attacks/calibration.py", REPORT_RULES),
    ]:
        trial = _clone_run(wd, tmp_path / module.replace("/", "_"))
        path = trial / "src/diffcal" / module
        path.write_text(path.read_text() + "\n# an edit\n")
        assert {r for r, _ in planned_jobs(trial, *CFG)} == expected, module


def test_compare_reuses_targets_and_attacks_retrain_nothing(tiny_run, tmp_path):
    """The comparison trains the pool once and reuses the tiny run's
    targets; its metrics recompute from its Parquet files; a second invocation
    plans nothing; adding an attack or a budget trains and scores nothing; the
    pool retrains to the same bytes."""
    wd = _clone_run(tiny_run, tmp_path / "wd")
    cmp = {
        "datasets": {"breast_cancer": ["plain"]},
        "references": 4,
        "budgets": [1, 4],
        "population": 40,
        "attacks": ["loss", "calibrated_loss", "lira_offline"],
    }
    _edit_config(wd, lambda c: c.update(compare=cmp))
    jobs = planned_jobs(wd, *CFG)
    assert {r for r, _ in jobs} == {
        "train_pool",
        "score_pool",
        "compare_attack",
        "compare_report",
        "compare_figure",
    }
    snakemake(wd, "all", "--cores", "2", *CFG)
    pool = wd / "results/breast_cancer/plain/split0-1/pool"
    mem = pd.read_parquet(pool / "membership.parquet")
    split = pd.read_parquet(wd / "results/breast_cancer/plain/split0-1/split.parquet")
    cand = split[split["role"].isin(["member", "nonmember"]) & (split["split"] == 0)]
    m0 = mem[mem["split"] == 0].pivot(index="ref", columns="sample_id", values="is_in")
    assert list(m0.columns) == sorted(cand["sample_id"])
    assert (m0.sum(axis=0) == 2).all()  # IN for exactly 2 of 4 references
    sc = pd.read_parquet(pool / "pool_scores.parquet")
    att = pd.read_parquet(pool / "compare_scores.parquet")
    met = pd.read_csv(pool / "compare_metrics.csv").set_index(["split", "budget", "attack"])
    # calibrated loss at M = 4 by hand: -(target loss - mean loss of OUT references)
    c0 = sc[(sc["split"] == 0) & ~sc["population"]]
    tgt = c0[c0["model"] == "target"].set_index("sample_id")["loss"]
    ref = c0[c0["model"] == "pool"].pivot(index="ref", columns="sample_id", values="loss")
    want = -(tgt - ref.where(~m0).mean(axis=0))
    got = att[(att["split"] == 0) & (att["budget"] == 4) & (att["attack"] == "calibrated_loss")]
    np.testing.assert_allclose(got.set_index("sample_id")["score"], want.loc[got["sample_id"]])
    members = set(split[(split["split"] == 0) & (split["role"] == "member")]["sample_id"])
    assert (got["member"] == got["sample_id"].isin(members)).all()
    for (t, m, a), g in att.groupby(["split", "budget", "attack"]):
        assert met.loc[(t, m, a), "auc"] == pytest.approx(roc_auc_score(g["member"], g["score"]))
    md = (wd / "results/compare/default/comparison.md").read_text()
    assert "LiRA offline" in md and "M=1" in md
    assert planned_jobs(wd, *CFG) == []
    before = {f.name: f.read_bytes() for f in pool.iterdir()}
    cmp["attacks"] = cmp["attacks"] + ["lira_online", "rmia_offline"]
    cmp["budgets"] = [1, 2, 4]
    _edit_config(wd, lambda c: c.update(compare=cmp))
    assert {r for r, _ in planned_jobs(wd, *CFG)} == {
        "compare_attack",
        "compare_report",
        "compare_figure",
    }
    snakemake(wd, "all", "--cores", "2", *CFG, "--forcerun", "train_pool")
    for name in ("models0-3.pt", "membership.parquet", "pool_scores.parquet"):
        assert (pool / name).read_bytes() == before[name], name
    met = pd.read_csv(pool / "compare_metrics.csv")
    assert set(met["attack"]) == set(cmp["attacks"]) and set(met["budget"]) == {1, 2, 4}
    _quantile_attack_trains_no_reference(wd, pool, cmp)
    _pool_chunks_change_no_byte(wd, pool)


def _quantile_attack_trains_no_reference(wd, pool, cmp):
    """Adding the quantile attack runs its regressor and the attack
    and report jobs only; its scores are the same at every budget and are the
    regressor stage's; the report states the regressor and its coverage."""
    cmp["attacks"] = cmp["attacks"] + ["quantile"]
    _edit_config(wd, lambda c: c.update(compare=cmp))
    planned = {r for r, _ in planned_jobs(wd, *CFG)}
    assert planned == {"compare_quantile", "compare_attack", "compare_report", "compare_figure"}
    snakemake(wd, "all", "--cores", "2", *CFG)
    qs = pd.read_parquet(pool / "quantile_scores.parquet")
    att = pd.read_parquet(pool / "compare_scores.parquet")
    att = att[att["attack"] == "quantile"]
    for _budget, g in att.groupby("budget"):
        pd.testing.assert_frame_equal(
            g[["split", "sample_id", "member", "score"]].reset_index(drop=True), qs
        )
    fit = pd.read_csv(pool / "quantile_fit.csv")
    assert list(fit["split"]) == [0, 1]
    assert (fit["n_fit"] + fit["n_val"] + fit["n_holdout"] == 40).all()
    md = (wd / "results/compare/default/comparison.md").read_text()
    assert "Quantile regression (no reference) | 1 regressor |" in md
    assert "coverage of its tau = 0.95 quantile" in md
    assert planned_jobs(wd, *CFG) == []


def _pool_chunks_change_no_byte(wd, pool):
    """The pool cut into chunks of 1 and of 3 models (``models_per_job``):
    one training job per chunk, the same model weights, and the same bytes in every
    file downstream (scores, membership, attack scores, metrics)."""
    whole = {
        (e["split"], e["index"]): e["model"].state_dict()
        for e in load_models(pool / "models0-3.pt")[1]
    }
    downstream = (
        "membership.parquet",
        "pool_scores.parquet",
        "compare_scores.parquet",
        "compare_metrics.csv",
    )
    want = {name: (pool / name).read_bytes() for name in downstream}
    # At 3 per job the chunks are 0-2 and 3; models3.pt is the N = 1 run's, reused.
    for per, chunks, trained in [
        (1, {"0", "1", "2", "3"}, {"0", "1", "2", "3"}),
        (3, {"0-2", "3"}, {"0-2"}),
    ]:
        _edit_config(
            wd, lambda c, per=per: c["datasets"]["breast_cancer"].update(models_per_job=per)
        )
        planned = planned_jobs(wd, *CFG)
        assert {w["chunk"] for r, w in planned if r == "train_pool"} == trained
        assert sum(r == "train_pool" for r, _ in planned) == len(trained)  # one part
        snakemake(wd, "all", "--cores", "2", *CFG)
        got = {}
        for c in chunks:
            got |= {
                (e["split"], e["index"]): e["model"].state_dict()
                for e in load_models(pool / f"models{c}.pt")[1]
            }
        assert got.keys() == whole.keys()
        for key, state in whole.items():
            assert all(torch.equal(state[k], got[key][k]) for k in state), key
        for name in downstream:
            assert (pool / name).read_bytes() == want[name], (per, name)


def test_reference_chunks_change_no_byte(tiny_run, tmp_path):
    """Scratch and forgetting references one per job (`models_per_job:
    1`): a job per chunk not made before (a one-model set's file is the same name
    either way, `scratch0.pt`), the same weights, and the same bytes downstream."""
    wd = _clone_run(tiny_run, tmp_path / "wd")
    _edit_config(wd, lambda c: [ds.update(models_per_job=1) for ds in c["datasets"].values()])
    planned = planned_jobs(wd, *CFG)
    trained = {(r, w["dataset"], w["chunk"]) for r, w in planned if r.startswith("train_")}
    # breast_cancer: 1 scratch (scratch0.pt exists), 2 forgetting; digits: 2 and 1
    assert trained == {("train_forget", "breast_cancer", c) for c in "01"} | {
        ("train_scratch", "digits", c) for c in "01"
    }
    snakemake(wd, "all", "--cores", "2", *CFG)
    for dataset, part, kind, k in [
        ("breast_cancer", "0-1", "forget_target", 2),
        ("breast_cancer", "0-1", "forget_shadow", 2),
        ("digits", "0", "scratch", 2),
    ]:
        models = f"results/{dataset}/plain/split{part}/models"
        whole = load_models(tiny_run / models / f"{kind}0-{k - 1}.pt")[1]
        chunks = [e for c in range(k) for e in load_models(wd / models / f"{kind}{c}.pt")[1]]
        key = lambda e: (e["split"], e["index"])  # noqa: E731
        assert sorted(map(key, whole)) == sorted(map(key, chunks))
        by_key = {key(e): e["model"].state_dict() for e in chunks}
        for e in whole:
            # Equal up to float rounding: on some CPUs the stacked and the one-model
            # paths round differently (digits' scratch pair: 2.4e-7 at most on the
            # December 2 dev machine, at 3fc9feb too; bit-equal on the earlier one).
            for n, v in e["model"].state_dict().items():
                torch.testing.assert_close(
                    by_key[key(e)][n], v, rtol=1e-5, atol=1e-6, msg=f"{kind} {key(e)} {n}"
                )
    for dataset, part in [("breast_cancer", "0-1"), ("digits", "0")]:
        for name in ("scores.parquet", "attack_scores.parquet", "metrics.csv"):
            f = f"results/{dataset}/plain/split{part}/{name}"
            if (wd / f).read_bytes() == (tiny_run / f).read_bytes():
                continue
            read = pd.read_csv if name.endswith(".csv") else pd.read_parquet
            pd.testing.assert_frame_equal(
                read(wd / f), read(tiny_run / f), rtol=1e-4, atol=1e-5, obj=f
            )
