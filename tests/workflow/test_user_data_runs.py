"""Your own data: the ``table`` (CSV / Parquet) and ``arrays`` (NPZ / NPY) sources,
against independent oracles (scikit-learn's encoders, numpy transposes), their
one-line errors before any job, and a workflow run equal to the built-in source's."""

from __future__ import annotations

import pandas as pd
import yaml
from conftest import planned_jobs, snakemake
from sklearn.datasets import load_breast_cancer


def test_table_dataset_runs_like_the_builtin_one_and_reruns_when_the_file_changes(
    tiny_run, tmp_path
):
    """The breast-cancer set read from a CSV, with the built-in dataset's seed key,
    added to a copy of the tiny run: every metric equals the built-in run's; editing
    the CSV reruns that dataset only."""
    import shutil

    wd = tmp_path / "wd"
    shutil.copytree(tiny_run, wd, symlinks=True)  # keeps mtimes and .snakemake metadata
    bc = load_breast_cancer()
    frame = pd.DataFrame(bc.data, columns=bc.feature_names).assign(label=bc.target)
    frame.to_csv(wd / "bc.csv", index=False)
    cfg = yaml.safe_load((wd / "tests/data/tiny.yaml").read_text())
    builtin = cfg["datasets"]["breast_cancer"]
    cfg["datasets"]["mine"] = {
        **builtin,
        "source": "table",
        "source_kwargs": {"path": "bc.csv"},
        "seed_key": "breast_cancer",
    }
    (wd / "mine.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "all", "--cores", "2", "--configfile", "mine.yaml")
    ours = pd.read_csv(wd / "results/mine/plain/split0-1/metrics.csv")
    theirs = pd.read_csv(wd / "results/breast_cancer/plain/split0-1/metrics.csv")
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, atol=1e-6)
    assert planned_jobs(wd, "--configfile", "mine.yaml") == []
    frame.iloc[:-1].to_csv(wd / "bc.csv", index=False)  # one row fewer
    jobs = planned_jobs(wd, "--configfile", "mine.yaml")
    # the dataset's own jobs and its audit report (wildcard audit), nothing else
    assert {w.get("dataset", w.get("audit")) for r, w in jobs if r != "tables"} == {"mine"}
    assert "prepare" in {r for r, _ in jobs}
