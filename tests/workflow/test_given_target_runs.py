"""Your trained target (``target: {checkpoint, members}``): member lists, splits
around given members, safe checkpoint loading, one-line errors, and an audit of the
pipeline's own target that gives the pipeline's own metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import yaml
from conftest import planned_jobs, snakemake


def test_auditing_the_pipelines_own_target_gives_its_metrics(tiny_run, tmp_path):
    """The tiny run's breast-cancer target of split 0 saved as a state_dict with its
    member list, audited as a given target with the same seed key (one split): every
    metric equals the pipeline's own for split 0; replacing the checkpoint retrains
    no scratch reference; a second invocation plans nothing."""
    import shutil

    from diffcal.training.model_files import load_models

    wd = tmp_path / "wd"
    shutil.copytree(tiny_run, wd, symlinks=True)  # keeps mtimes and .snakemake metadata
    part = wd / "results/breast_cancer/plain/split0-1"
    entry = next(e for e in load_models(part / "models/target.pt")[1] if e["split"] == 0)
    torch.save(entry["model"].state_dict(), wd / "target.pt")
    np.save(wd / "members.npy", entry["train_ids"])
    cfg = yaml.safe_load((wd / "tests/data/tiny.yaml").read_text())
    own = cfg["datasets"]["breast_cancer"]
    cfg["datasets"]["audited"] = {
        **own,
        "splits": 1,
        "seed_key": "breast_cancer",
        "target": {"checkpoint": "target.pt", "members": "members.npy"},
    }
    (wd / "audit.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "all", "--cores", "2", "--configfile", "audit.yaml")
    ours = pd.read_csv(wd / "results/audited/plain/split0/metrics.csv")
    theirs = pd.read_csv(part / "metrics.csv")
    pd.testing.assert_frame_equal(ours, theirs[theirs["split"] == 0].reset_index(drop=True))
    assert planned_jobs(wd, "--configfile", "audit.yaml") == []
    state = entry["model"].state_dict()
    torch.save({k: v * 1.01 for k, v in state.items()}, wd / "target.pt")
    jobs = {(r, w.get("dataset")) for r, w in planned_jobs(wd, "--configfile", "audit.yaml")}
    assert ("train_base", "audited") in jobs and ("score", "audited") in jobs
    assert not any(r == "train_scratch" for r, _ in jobs)
    assert {d for _, d in jobs} <= {"audited", None}
