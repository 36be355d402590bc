"""Static checks: ruff (lint + format) and snakemake --lint stay clean."""

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


def test_snakemake_lint():
    proc = _run(*SNAKEMAKE, "--lint")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in out, out


def test_rules_and_scripts_stay_thin():
    """No script forwards its rule's params one by one (they go through
    diffcal.stages.rule_params), and the training resources are declared once."""
    import re

    for script in sorted((REPO / "workflow/scripts").glob("*.py")):
        n = len(re.findall(r"snakemake\.params\.\w+", script.read_text()))
        assert n <= 3, f"{script.name} forwards {n} params one by one"
    rules = "".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    assert rules.count("TRAIN_RESOURCES = P.train_resources()") == 1
    assert rules.count("**TRAIN_RESOURCES") >= 6 and 'res("mem_mb")' not in rules
    for stage in ("train_base", "train_scratch", "tune_forget", "train_forget"):
        text = (REPO / f"src/diffcal/stages/{stage}.py").read_text()
        signature = text[text.index(f"def run_{stage}(") : text.index(") -> None:")]
        assert "root_seed" not in signature and "early_stopping" not in signature
