"""The CI SLURM profile differs from profiles/slurm only where a one-node cluster
needs it; every key of the real profile carries a comment."""

import yaml
from conftest import REPO

REAL = REPO / "profiles/slurm/config.yaml"
CI = REPO / ".ci/slurm/profile/config.yaml"
CI_ONLY = {
    "jobs",
    "latency-wait",
    "slurm-no-account",
    "slurm-init-seconds-before-status-checks",
    "set-resources",
    "default-resources",
}


def test_ci_profile_differs_only_where_a_laptop_cluster_needs():
    real, ci = yaml.safe_load(REAL.read_text()), yaml.safe_load(CI.read_text())
    differing = {k for k in real.keys() | ci.keys() if real.get(k) != ci.get(k)}
    assert differing <= CI_ONLY, differing - CI_ONLY
    # default resources: only the partition (and no account) may differ
    dr_real, dr_ci = real["default-resources"], ci["default-resources"]
    assert {k: v for k, v in dr_real.items() if k != "slurm_partition"} == {
        k: v for k, v in dr_ci.items() if k != "slurm_partition"
    }
    assert real["executor"] == ci["executor"] == "slurm"
    assert real["slurm-status-command"] == ci["slurm-status-command"] == "squeue"


def test_every_real_profile_key_is_commented():
    lines = REAL.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith((" ", "#")) and ":" in line:
            above = lines[i - 1] if i else ""
            assert above.startswith("#") or "#" in line, f"uncommented key: {line}"


def test_short_profile_name_resolves_after_the_readme_setup(tmp_path):
    """`--profile slurm` finds profiles/slurm once the README's setup
    line has run (in a private XDG config dir here)."""
    import os
    import subprocess
    import sys

    readme = (REPO / "README.md").read_text()
    line = next(ln for ln in readme.splitlines() if ln.startswith("mkdir -p ") and "slurm" in ln)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    subprocess.run(["bash", "-c", line], cwd=REPO, env=env, check=True)
    code = "from snakemake.cli import get_profile_dir; print(get_profile_dir('slurm')[1])"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert os.path.realpath(out) == str((REPO / "profiles/slurm/config.yaml").resolve())
