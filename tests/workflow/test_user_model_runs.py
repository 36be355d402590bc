"""Your own architecture (``arch: python`` with a factory): building, seeding, config
checks, gradient norms for layers Opacus does not know, and reruns."""

from __future__ import annotations

import yaml
from builders import FACTORY
from conftest import planned_jobs, snakemake

from diffcal.training.factory import factory_digest


def test_editing_the_factory_retrains_only_its_dataset(tiny_run, tmp_path):
    """A dataset with a model file added to a copy of the tiny run: editing the file
    plans that dataset's jobs (from training on) and nothing of the others."""
    import shutil

    wd = tmp_path / "wd"
    shutil.copytree(tiny_run, wd, symlinks=True)  # keeps mtimes and .snakemake metadata
    (wd / "mymodel.py").write_text(FACTORY)
    cfg = yaml.safe_load((wd / "tests/data/tiny.yaml").read_text())
    cfg["datasets"]["mine"] = {
        **cfg["datasets"]["digits"],
        "seed_key": "digits",
        "model": {"arch": "python", "factory": "mymodel.py:make_model", "kwargs": {"width": 16}},
    }
    (wd / "mine.yaml").write_text(yaml.safe_dump(cfg))
    before = factory_digest(str(wd / "mymodel.py") + ":make_model")
    snakemake(wd, "all", "--cores", "2", "--configfile", "mine.yaml")
    assert planned_jobs(wd, "--configfile", "mine.yaml") == []
    (wd / "mymodel.py").write_text(FACTORY + "\n# an edit\n")
    assert factory_digest(str(wd / "mymodel.py") + ":make_model") != before
    jobs = planned_jobs(wd, "--configfile", "mine.yaml")
    # the dataset's own jobs and its audit report (wildcard audit), nothing else
    assert {w.get("dataset", w.get("audit")) for r, w in jobs if r != "tables"} == {"mine"}
    assert {"train_base", "train_scratch"} <= {r for r, _ in jobs}
