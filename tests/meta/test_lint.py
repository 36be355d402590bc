"""Static checks: ruff (lint + format), snakefmt and snakemake --lint stay clean."""

import subprocess
import sys

from conftest import REPO, SNAKEMAKE


def _run(*cmd):
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_ruff_check():
    proc = _run(sys.executable, "-m", "ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format():
    proc = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt():
    """The Snakefile and the rule files as snakefmt writes them (pyproject's
    [tool.snakefmt]: line length 100)."""
    proc = _run(sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow/rules")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint():
    proc = _run(*SNAKEMAKE, "--lint")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in out, out


def test_rules_and_scripts_stay_thin():
    """No script forwards its rule's params one by one (they go through
    diffcal.stages.rule_params); the training stages take seeds, not their parts
    (tests/smoke checks that the resources reach the jobs)."""
    import re

    for script in sorted((REPO / "workflow/scripts").glob("*.py")):
        n = len(re.findall(r"snakemake\.params\.\w+", script.read_text()))
        assert n <= 3, f"{script.name} forwards {n} params one by one"
    for stage in ("train_base", "train_scratch", "tune_forget", "train_forget"):
        text = (REPO / f"src/diffcal/stages/{stage}.py").read_text()
        signature = text[text.index(f"def run_{stage}(") : text.index(") -> None:")]
        assert "root_seed" not in signature and "early_stopping" not in signature
