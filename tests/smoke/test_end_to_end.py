"""The one tiny real end-to-end run of the fast tier (tests/data/tiny.yaml, both
datasets, every stage): outputs exist, recompute from the published Parquet files
with independent oracles, and a second invocation plans nothing. Every other
workflow run is in the slow tier (tests/workflow)."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import planned_jobs
from sklearn.metrics import roc_auc_score

CFG = ("--configfile", "tests/data/tiny.yaml")


def test_outputs_exist_and_are_sane(tiny_run):
    tables = tiny_run / "results/tables/default"
    for name in ("table1_target_accuracy", "table2_auc", "table3_acc"):
        for ext in ("md", "csv", "tex"):
            assert (tables / f"{name}.{ext}").stat().st_size > 0
    prov = json.loads((tables / "provenance.json").read_text())
    assert prov["commit"] == "not a git checkout"  # the test's copy of the workflow
    assert prov["packages"]["torch"] and len(prov["config_sha256"]) == 64
    t2 = (tables / "table2_auc.md").read_text()
    assert "| Gap | Loss Orig | Loss Cal | Loss Cal-F | GN Orig" in t2
    assert "breast_cancer" in t2 and "digits" in t2
    for ds in ("breast_cancer", "digits"):
        for fig in ("fig1_score_histograms", "fig2_roc_pr"):
            for ext in ("png", "pdf"):
                assert (tiny_run / f"results/figures/{ds}/plain/{fig}.{ext}").stat().st_size > 0

    # breast cancer's 2 splits share one part (one job per stage), digits has 1
    assert sorted(p.name for p in (tiny_run / "results/breast_cancer/plain").iterdir()) == [
        "split0-1"
    ]
    run = tiny_run / "results/breast_cancer/plain/split0-1"
    scores_all = pd.read_parquet(run / "scores.parquet")
    split_all = pd.read_parquet(run / "split.parquet")
    assert sorted(scores_all["split"].unique()) == sorted(split_all["split"].unique()) == [0, 1]
    scores = scores_all[scores_all["split"] == 1]
    split = split_all[split_all["split"] == 1]
    assert dict(scores.dtypes.astype(str)) == {
        "split": "int16",
        "model": "string",
        "ref": "int16",
        "sample_id": "int32",
        "label": "int16",
        "pred": "int16",
        "correct": "bool",
        "loss": "float64",
        "grad_norm": "float64",
        "max_log_prob": "float64",
    }
    n_private = split["role"].isin(["member", "nonmember"]).sum()
    n_thr = split["role"].isin(["shadow_in", "shadow_out"]).sum()
    per_model = scores.groupby(["model", "ref"]).size().to_dict()
    assert per_model == {
        ("target", 0): n_private,
        ("forget_target", 0): n_private,
        ("forget_target", 1): n_private,
        ("shadow", 0): n_thr,
        ("forget_shadow", 0): n_thr,
        ("forget_shadow", 1): n_thr,
        ("scratch", 0): n_private + n_thr,
    }
    assert (scores["loss"] >= 0).all() and (scores["grad_norm"] >= 0).all()
    assert (scores["max_log_prob"] <= 0).all()

    m_all = pd.read_csv(run / "metrics.csv")
    m = m_all[m_all["split"] == 1]
    assert len(m) == 10 and len(m_all) == 20
    # every metric row recomputes from the published attack scores: AUC by
    # scikit-learn, accuracy by counting samples above the recorded tau
    att = pd.read_parquet(run / "attack_scores.parquet")
    ev = att[(att["split"] == 1) & (att["set"] == "eval")]
    y = ev["is_member"].to_numpy()
    for _, row in m.iterrows():
        s = ev[row["attack"]].to_numpy()
        assert row["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12), row["attack"]
        assert row["acc"] == pytest.approx(np.mean((s > row["tau"]) == y), abs=1e-12)
    summary = pd.read_csv(tables / "metrics_summary.csv")
    assert set(summary["n_splits"][summary["dataset"] == "breast_cancer"]) == {2}


def test_attack_scores_recompute_from_parquet(tiny_run):
    """The published attack scores follow from scores.parquet by eq. 1 and eq. 5."""
    run = tiny_run / "results/digits/plain/split0"
    sc = pd.read_parquet(run / "scores.parquet")
    att = pd.read_parquet(run / "attack_scores.parquet")
    ev = att[att["set"] == "eval"].set_index("sample_id")
    tgt = sc[sc["model"] == "target"].set_index("sample_id")["loss"]
    ref = sc[sc["model"] == "scratch"].groupby("sample_id")["loss"].mean()
    expected = (-tgt + ref).loc[ev.index]
    pd.testing.assert_series_equal(ev["loss_cal"], expected, check_names=False)
    pd.testing.assert_series_equal(ev["loss_orig"], -tgt.loc[ev.index], check_names=False)


def test_second_invocation_plans_nothing(tiny_run, tmp_path):
    assert planned_jobs(tiny_run, *CFG, provenance=True) == []
    # a changed setting reruns the provenance record with what it touches
    import shutil

    import yaml

    wd = shutil.copytree(tiny_run, tmp_path / "wd", symlinks=True)
    cfg = yaml.safe_load((wd / CFG[1]).read_text())
    cfg["attack"] = {**cfg.get("attack", {}), "fpr_levels": [0.05, 0.2]}
    (wd / "changed.yaml").write_text(yaml.safe_dump(cfg))
    planned = planned_jobs(wd, "--configfile", "changed.yaml", provenance=True)
    assert ("provenance", {"folder": "results/tables/default"}) in planned
