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
