"""Snakemake's dry runs of configs: bad ones stop before any job, nested overrides
are typed, planning imports no heavy library, big pools plan one job per chunk,
and each dataset's resources reach its training and scoring jobs."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    REPO,
    copy_workflow,
    planned_jobs,
    snakemake,
)

SRC = REPO / "src"


@pytest.fixture(scope="module")
def bare_workflow(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("bad_config"))


# A few cases that prove the wiring (the config reaches prepare_config, the
# error is printed as one line, no job runs); tests/unit/config has them all.
WIRING = [
    ("datasets: {x: {source: nope}}", ["source", "sklearn_digits"]),
    ('datasets: {x: {source: sklearn_digits, splits: "3"}}', ["datasets.x.splits", "'3'"]),
    ("datasets: {compare: {source: sklearn_digits}}", ["datasets.compare", "output folder"]),
]


@pytest.mark.parametrize("text, needles", WIRING)
def test_bad_config_fails_before_any_job(bare_workflow, text, needles):
    cfg = bare_workflow / "bad.yaml"
    cfg.write_text(text + "\n")
    proc = snakemake(bare_workflow, "-n", "--cores", "1", "--configfile", "bad.yaml", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for needle in needles:
        assert needle in out, f"{needle!r} not in error output:\n{out[-3000:]}"
    assert "Job stats" not in out
    assert not (bare_workflow / "results").exists()
    # The error is one line that names the key, not a schema dump
    line = next(ln for ln in out.splitlines() if ln.startswith("config key '"))
    assert needles[0] in line
    assert "$schema" not in out and len(out.splitlines()) < 40, out[-3000:]


def test_nested_config_override_is_typed(bare_workflow):
    """Nested --config values are YAML-typed like a config file's."""
    proc = snakemake(
        bare_workflow,
        "-n",
        "--cores",
        "1",
        "all",
        "--config",
        "datasets={digits: {source: sklearn_digits, splits: 2}}",
    )
    assert "Job stats" in proc.stdout + proc.stderr


@pytest.mark.parametrize("configfile", ["paper", "ablations", "compare"])
def test_planning_imports_neither_torch_nor_pandas(bare_workflow, configfile):
    """`snakemake -n` parses every config without torch or pandas (the
    jobs import what they use; an audit of score files reads them with pandas).
    Snakemake is imported first: its SLURM executor plugin (in requirements.lock)
    imports pandas itself, and then pandas cannot be told apart and is not checked."""
    code = f"""
import sys

from snakemake.cli import main

refused = {{"torch", "sklearn", "scipy", "opacus"}} | ({{"pandas"}} - set(sys.modules))

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in refused:
            raise ImportError(f"{{name}} imported while planning")

sys.meta_path.insert(0, Refuse())
sys.argv = ["snakemake", "-n", "-q", "--configfile", "config/{configfile}.yaml"]
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=bare_workflow, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.parametrize(
    "configfile, per_split, splits", [("compare_cifar", 8, 3), ("lira_cifar10", 32, 1)]
)
def test_big_pools_plan_one_training_job_per_chunk(bare_workflow, configfile, per_split, splits):
    """`models_per_job: 8` cuts a split's pool (64 / 256 references) into
    chunks of 8 models, one training job each, all read by the split's one scoring job."""
    jobs = planned_jobs(bare_workflow, "--configfile", f"config/{configfile}.yaml")
    pool = [w for r, w in jobs if r == "train_pool"]
    assert len(pool) == per_split * splits
    for part in {w["part"] for w in pool}:
        chunks = sorted(
            (w["chunk"] for w in pool if w["part"] == part), key=lambda c: int(c.split("-")[0])
        )
        assert chunks == [f"{8 * i}-{8 * i + 7}" for i in range(per_split)]
    assert sum(r == "score_pool" for r, _ in jobs) == splits


def test_a_datasets_resources_reach_its_training_and_scoring_jobs(bare_workflow, tmp_path):
    """``datasets.<name>.resources`` sets mem_mb and runtime of every job that
    trains or scores that dataset's models (what SLURM is asked for), and of no
    other dataset's."""
    import yaml

    cfg = yaml.safe_load((REPO / "tests/data/tiny.yaml").read_text())
    cfg["datasets"]["digits"]["resources"] = {"mem_mb": 1234, "runtime": 77}
    cfg["datasets"]["digits"]["label_only"] = {"enabled": True}
    (bare_workflow / "res.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(bare_workflow, "-n", "--cores", "1", "--configfile", "res.yaml")
    jobs = re.findall(
        r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    wildcards: .*dataset=(\w+).*\n"
        r"(?:    .*\n)*?    resources: (.*)$",
        proc.stdout + proc.stderr,
        re.M,
    )
    heavy = {"train_base", "train_scratch", "tune_forget", "train_forget", "score", "label_only"}
    seen = {rule for rule, ds, _ in jobs if rule in heavy and ds == "digits"}
    assert seen == heavy
    for rule, ds, res in jobs:
        if rule in heavy:
            want = "runtime=77" if ds == "digits" else "runtime=30"
            assert want in res and ("mem_mb=1234" in res) == (ds == "digits"), (rule, ds, res)
