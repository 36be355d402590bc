"""The walkthroughs of docs/audit.md run as documented: the example script, then
Snakemake on the config; the results recompute from the published files."""

from __future__ import annotations

import re

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


@pytest.mark.slow
@pytest.mark.parametrize("configfile", sorted(WALKTHROUGHS))
def test_walkthrough_runs_as_documented(tmp_path, configfile):
    """As docs/audit.md says, with one split instead of three (CI time)."""
    wd = copy_workflow(tmp_path / "wd")
    write_walkthrough_files(wd)
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
