"""Shared fixtures: a tiny config and helpers that run Snakemake in a copy of the repo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TINY_CONFIG = REPO / "tests" / "data" / "tiny.yaml"
#: The paper's raw data files (``DIFFCAL_DATA_DIR``, else ``../shared/data`` beside the repo).
SHARED = Path(os.environ.get("DIFFCAL_DATA_DIR") or REPO.parent / "shared" / "data")


def copy_workflow(dest: Path) -> Path:
    """Copy what the workflow needs (not results) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "Snakefile", dest / "Snakefile")
    for d in ("workflow", "config", "src", "envs", "tests/data", "profiles", "examples"):
        shutil.copytree(
            REPO / d, dest / d, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    return dest


#: Configs that audit files an example script writes first (docs/audit.md).
WALKTHROUGHS = {
    "audit_csv.yaml": "audit_csv",
    "audit_checkpoint.yaml": "audit_checkpoint",
    "audit_scores.yaml": "audit_scores",
}


def write_walkthrough_files(cwd: Path, only: str | None = None) -> None:
    """Run the example scripts of docs/audit.md (or the one named ``only``) as a user
    would, from ``cwd``: they write resources/audit/ (the CSV, the arrays, a
    checkpoint and its members, the scores of a gradient-boosting model)."""
    for script in WALKTHROUGHS.values() if only is None else [only]:
        subprocess.run(
            [sys.executable, str(REPO / "examples" / f"{script}.py")],
            cwd=cwd,
            check=True,
            capture_output=True,
            timeout=300,
        )


def snakemake(cwd: Path, *args: str, check: bool = True, timeout: int = 900):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


_JOB = re.compile(r"^(?:local)?rule (\w+):$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")


def planned_jobs(
    cwd: Path, *args: str, provenance: bool = False
) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job a dry run plans, ``rule all`` excluded, and
    the ``provenance`` jobs unless ``provenance``: they rerun on every change of the
    config by design (its digest is their param)."""
    proc = snakemake(cwd, "-n", "--cores", "1", *args)
    jobs: list[tuple[str, dict[str, str]]] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if m := _JOB.match(line):
            jobs.append((m.group(1), {}))
        elif (m := _WILDCARDS.match(line)) and jobs:
            jobs[-1][1].update(kv.split("=", 1) for kv in m.group(1).split(", "))
    skip = {"all"} if provenance else {"all", "provenance"}
    return [j for j in jobs if j[0] not in skip]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A finished run of the tiny config, shared by the workflow tests (read-only)."""
    wd = copy_workflow(tmp_path_factory.mktemp("run_a"))
    snakemake(wd, "all", "--cores", "2", "--configfile", "tests/data/tiny.yaml")
    return wd
