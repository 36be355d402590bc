"""Every config of the repository passes the checks and dry-runs (the audit
configs after their example scripts wrote the files they name)."""

from pathlib import Path

import pytest
from conftest import (
    REPO,
    WALKTHROUGHS,
    copy_workflow,
    snakemake,
    write_walkthrough_files,
)

from diffcal.config.load import load_config

_CONFIGS = sorted(p.name for p in (REPO / "config").glob("*.yaml"))


@pytest.fixture(scope="module")
def walkthrough_dir(tmp_path_factory) -> Path:
    """A directory where the example scripts of docs/audit.md have run, with the
    examples (the model file the audit configs name)."""
    wd = copy_workflow(tmp_path_factory.mktemp("walkthroughs"))
    write_walkthrough_files(wd)
    return wd


# The audit configs name files the example scripts write first (about 11 s of
# training and scoring): slow tier, beside the walkthroughs that run them.
@pytest.mark.parametrize("configfile", [c for c in _CONFIGS if c in WALKTHROUGHS])
def test_every_audit_config_passes_the_checks(configfile, walkthrough_dir, monkeypatch):
    monkeypatch.chdir(walkthrough_dir)  # relative paths of the audit configs
    cfg = load_config(REPO / "config" / configfile)
    assert cfg["datasets"] or cfg["audits"]


@pytest.fixture(scope="module")
def bare_workflow(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("bad_config"))


def test_every_repo_config_dry_runs(bare_workflow):
    """Every config in config/ plans its jobs. Two dry runs at a time: each is a
    single-threaded parse (CI time)."""
    from concurrent.futures import ThreadPoolExecutor

    write_walkthrough_files(bare_workflow)
    configs = sorted(p.name for p in (REPO / "config").glob("*.yaml"))

    def dry_run(configfile):
        proc = snakemake(
            bare_workflow, "-n", "--cores", "1", "--configfile", f"config/{configfile}", check=False
        )
        return configfile, proc.returncode, proc.stdout + proc.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(dry_run, configs))
    failed = {c: out[-1500:] for c, rc, out in results if rc != 0 or "Job stats" not in out}
    assert not failed, failed
