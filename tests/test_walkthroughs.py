"""The walkthroughs of docs/audit.md run as documented: the example script, then
Snakemake on the config; the results recompute from the published files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import (
    REPO,
    WALKTHROUGHS,
    copy_workflow,
    planned_jobs,
    snakemake,
    write_walkthrough_files,
)
from sklearn.metrics import roc_auc_score


def test_docs_name_the_walkthrough_configs_and_scripts():
    doc = (REPO / "docs/audit.md").read_text()
    for configfile, script in WALKTHROUGHS.items():
        assert f"python examples/{script}.py" in doc
        assert f"--configfile config/{configfile}" in doc
    for path in re.findall(r"`((?:config|examples)/[\w/.]+\.(?:py|yaml))`", doc):
        assert (REPO / path).is_file(), path


def check_report_in_a_browser(html: Path) -> None:
    """Headless Chromium opens the report as a person would: every figure loaded
    (the page counts its loaded images), the tables are there, a screenshot is
    taken next to the report."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("DIFFCAL_REQUIRE_BROWSER"):
            raise AssertionError("chromium is not installed (.ci/run installs Debian's)")
        pytest.skip("chromium not installed")
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [*args, "--dump-dom", html.resolve().as_uri()],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    wanted = re.search(r'data-images="(\d+)"', body).group(1)
    assert int(wanted) >= 1 and f'data-images-loaded="{wanted}"' in body, body
    assert dom.count("<table") >= 3 and "Members most at risk" in dom
    shot = html.with_name("screenshot.png")
    page = html.resolve().as_uri()
    subprocess.run(
        [*args, f"--screenshot={shot}", "--window-size=1200,2400", page],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


@pytest.mark.slow
def test_scores_walkthrough_runs_as_documented(tmp_path):
    """Walkthrough (c): the example script's scores audited without torch; the
    report's calibrated-loss AUC recomputes from the user's own CSV files."""
    wd = copy_workflow(tmp_path / "wd")
    write_walkthrough_files(wd, only="audit_scores")
    cfg = ("--configfile", "config/audit_scores.yaml")
    snakemake(wd, "all", "--cores", "2", *cfg)
    out = wd / "results/audit/gbm"
    target = pd.read_csv(wd / "resources/audit/gbm_target.csv")
    refs = [pd.read_csv(p) for p in sorted((wd / "resources/audit").glob("gbm_ref*.csv"))]
    members = set(np.loadtxt(wd / "resources/audit/gbm_members.txt", dtype=int))
    audited = ~target["population"].to_numpy()
    member = target["sample_id"].isin(members).to_numpy()[audited]
    ref_mean = np.mean([r["loss"].to_numpy() for r in refs], axis=0)
    cal = -(target["loss"].to_numpy() - ref_mean)[audited]
    met = pd.read_csv(out / "metrics.csv").set_index(["attack", "metric"])
    assert met.loc[("loss_cal", "auc"), "value"] == pytest.approx(roc_auc_score(member, cal))
    risk = pd.read_parquet(out / "risk.parquet")
    assert set(risk["sample_id"]) == members  # the user's ids
    check_report_in_a_browser(out / "report.html")
    assert planned_jobs(wd, *cfg) == []


@pytest.mark.slow
@pytest.mark.parametrize("configfile", sorted(set(WALKTHROUGHS) - {"audit_scores.yaml"}))
def test_walkthrough_runs_as_documented(tmp_path, configfile):
    """As docs/audit.md says, with one split instead of three (CI time)."""
    wd = copy_workflow(tmp_path / "wd")
    write_walkthrough_files(wd, only=WALKTHROUGHS[configfile])
    (dataset,) = yaml.safe_load((wd / "config" / configfile).read_text())["datasets"]
    cfg = (
        "--configfile",
        f"config/{configfile}",
        "--config",
        f"datasets={{{dataset}: {{splits: 1}}}}",
    )
    snakemake(wd, "all", "--cores", "2", *cfg)
    name = yaml.safe_load((wd / "config" / configfile).read_text())["name"]
    assert (wd / f"results/tables/{name}/table2_auc.md").stat().st_size > 0
    part = next((wd / f"results/{dataset}/plain").glob("split*"))
    att = pd.read_parquet(part / "attack_scores.parquet")
    met = pd.read_csv(part / "metrics.csv").set_index(["split", "attack"])
    for t, g in att[att["set"] == "eval"].groupby("split"):
        for attack in ("loss_orig", "loss_cal"):
            want = roc_auc_score(g["is_member"], g[attack])
            assert met.loc[(t, attack), "auc"] == pytest.approx(want, abs=1e-12)
    report = pd.read_csv(wd / f"results/audit/{dataset}/metrics.csv").set_index(
        ["attack", "metric"]
    )
    assert report.loc[("loss_cal", "auc"), "value"] == pytest.approx(
        met.loc[(0, "loss_cal"), "auc"]
    )
    check_report_in_a_browser(wd / f"results/audit/{dataset}/report.html")
    if configfile == "audit_csv.yaml":  # named by the CSV's patient_id column
        risk = pd.read_parquet(wd / f"results/audit/{dataset}/risk.parquet")
        csv = pd.read_csv(wd / "resources/audit/patients.csv")
        np.testing.assert_array_equal(risk["sample_id"], csv["patient_id"].to_numpy()[risk["row"]])
        assert risk["sample_id"].min() >= 10_000
    assert planned_jobs(wd, *cfg) == []
    if configfile == "audit_checkpoint.yaml":
        # the script's own model, read back independently: its accuracy on its members
        import sys

        sys.path.insert(0, str(wd / "examples"))
        from models.small_mlp import make_model

        model = make_model((1, 8, 8), 10, width=64)
        model.load_state_dict(torch.load(wd / "resources/audit/digits_target.pt"))
        data = np.load(wd / "resources/audit/digits.npz")
        members = np.loadtxt(wd / "resources/audit/digits_members.txt", dtype=int)
        with torch.no_grad():
            pred = model(torch.from_numpy(data["x"][members][:, None])).argmax(1).numpy()
        t1 = pd.read_csv(wd / f"results/tables/{name}/table1_target_accuracy.csv")
        train_acc = t1.loc[t1["metric"] == "train_acc", "mean"].iloc[0]
        assert train_acc == pytest.approx(np.mean(pred == data["y"][members]))


@pytest.mark.slow
def test_adult_read_as_a_csv_is_audited(tmp_path):
    """Adult from the shared data directory, as a user would hold it: one CSV with a
    header and a text label, read by the `table` source (not the built-in loader),
    with a model from a user's file; one split, short recipe (CI time)."""
    from diffcal.data.fetch import fetch
    from diffcal.data.sources.adult import ADULT_COLUMNS, ADULT_TRAIN

    wd = copy_workflow(tmp_path / "wd")
    raw = fetch(ADULT_TRAIN, None)  # $DIFFCAL_DATA_DIR, checksum verified
    frame = pd.read_csv(raw, header=None, names=ADULT_COLUMNS, skipinitialspace=True, na_values="?")
    frame.to_csv(wd / "adult.csv", index=False)
    cfg = {
        "name": "adult_csv",
        "attack": {"scores": ["loss"], "calibrations": ["orig", "cal"]},
        "datasets": {
            "adult_csv": {
                "source": "table",
                "source_kwargs": {"path": "adult.csv", "label": "income"},
                "model": {
                    "arch": "python",
                    "factory": "examples/models/small_mlp.py:make_model",
                    "kwargs": {"width": 32},
                },
                "splits": 1,
                "split": {"private_fraction": 0.3},  # 9,768 audited rows (CI time)
                "train": {"epochs": 1, "batch_size": 256, "lr": 0.05},
                "references": {"scratch": 2, "forget": 1},
                "forget": {"epochs": 1},
            }
        },
    }
    (wd / "adult.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "all", "--cores", "2", "--configfile", "adult.yaml", timeout=1200)
    out = wd / "results/audit/adult_csv"
    met = pd.read_csv(out / "metrics.csv").set_index(["attack", "metric"])
    att = pd.read_parquet(
        next((wd / "results/adult_csv/plain").glob("split*")) / "attack_scores.parquet"
    )
    ev = att[att["set"] == "eval"]
    assert len(np.load(wd / "results/adult_csv/data.npz")["y"]) == len(frame) == 32_561
    assert len(ev) == round(len(frame) * 0.3)  # members + non-members
    want = roc_auc_score(ev["is_member"], ev["loss_cal"])
    assert met.loc[("loss_cal", "auc"), "value"] == pytest.approx(want, abs=1e-12)
    assert "Members most at risk" in (out / "report.md").read_text()
