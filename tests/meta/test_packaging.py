"""Dependencies: compatible ranges in pyproject, exact pins with hashes in the lock,
the conda environment at the lock's versions, every imported package declared, and
the workflow usable as a Snakemake module from another directory."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import pytest
import yaml
from conftest import REPO, snakemake
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LOCK_TEXT = (REPO / "requirements.lock").read_text()
#: the lock of the lm extra: requirements.lock's pins plus transformers and gguf's
LM_LOCK_TEXT = (REPO / "requirements-lm.lock").read_text()
#: import name -> distribution name, where they differ
DIST = {
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "PIL": "pillow",
    "art": ("adversarial-robustness-toolbox"),
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(text: str = LOCK_TEXT) -> dict[str, str]:
    return {_norm(n): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, re.M)}


def _requirements(extras: bool = True, lm: bool = False) -> list[Requirement]:
    """The core requirements, with ``extras`` those of every extra but lm (which
    requirements-lm.lock pins), with ``lm`` the lm extra's too."""
    reqs = [Requirement(d) for d in PYPROJECT["project"]["dependencies"]]
    for name, group in PYPROJECT["project"]["optional-dependencies"].items():
        if (extras and name != "lm") or (lm and name == "lm"):
            reqs += [Requirement(d) for d in group]
    return reqs


@pytest.mark.parametrize("text", [LOCK_TEXT, LM_LOCK_TEXT], ids=["lock", "lm-lock"])
def test_every_lock_entry_is_pinned_with_hashes(text):
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    entries = [e for e in entries if not e.startswith("#")]
    assert len(entries) == len(_lock(text)) > 50
    for e in entries:
        assert "==" in e.splitlines()[0] and "--hash=sha256:" in e, e.splitlines()[0]


def test_the_lm_lock_is_the_lock_plus_the_lm_extra():
    """Installing requirements-lm.lock over requirements.lock changes no version."""
    lock, lm = _lock(), _lock(LM_LOCK_TEXT)
    assert {k: lm.get(k) for k in lock} == lock
    assert {"transformers", "gguf", "accelerate", "tokenizers"} <= set(lm) - set(lock)


@pytest.mark.parametrize("req", _requirements(lm=True), ids=str)
def test_pyproject_range_admits_the_locked_version(req):
    lock = _lock(LM_LOCK_TEXT)  # a superset of requirements.lock, at its versions
    assert _norm(req.name) in lock, f"{req.name} is not in requirements-lm.lock"
    assert Version(lock[_norm(req.name)]) in req.specifier, (req, lock[_norm(req.name)])


def test_ranges_are_ranges_and_torch_is_capped():
    for req in _requirements():
        assert not any(s.operator == "==" for s in req.specifier), f"{req} is pinned"
    torch = next(r for r in _requirements() if r.name == "torch")
    assert not torch.specifier.contains("2.15.0") and torch.specifier.contains("2.14.1")


def test_every_imported_package_is_declared():
    """Core modules import core requirements; diffcal.training.pretrained_lm (loaded
    only for ``arch: pretrained``) may import the lm extra's too."""
    core = {_norm(r.name) for r in _requirements(extras=False)}
    lm = {_norm(r.name) for r in _requirements(extras=False, lm=True)}
    stdlib = set(sys.stdlib_module_names)
    missing = set()
    for path in (REPO / "src").rglob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        declared = lm if path.name == "pretrained_lm.py" else core
        third_party = {m for m in imported if m not in stdlib and m != "diffcal"}
        missing |= {m for m in third_party if _norm(DIST.get(m, m)) not in declared}
    assert missing == set()


def test_conda_env_pins_the_runtime_dependencies_at_the_lock_versions():
    env = yaml.safe_load((REPO / "envs/diffcal.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = dict(p.split("==") for p in pip)
    lock = _lock()
    expected = {_norm(r.name): lock[_norm(r.name)] for r in _requirements(extras=False)}
    assert {_norm(k): v for k, v in pins.items()} == expected
    assert not any("editable" in p or p.startswith("-") for p in pip)


def test_readme_and_ci_install_the_lock():
    readme = (REPO / "README.md").read_text()
    commands = [ln for ln in readme.splitlines() if ln.startswith("python3.11 -m venv")]
    assert len(commands) == 2 and all("-r requirements.lock" in c for c in commands)


OUTER = """module diffcal:
    snakefile: "{snakefile}"
    config: config
use rule * from diffcal
"""


def test_workflow_is_usable_as_a_module_from_another_directory(tmp_path):
    """A three-line outer Snakefile plans the default run under its own directory."""
    (tmp_path / "Snakefile").write_text(OUTER.format(snakefile=REPO / "Snakefile"))
    proc = snakemake(
        tmp_path, "-n", "--cores", "1", "--configfile", str(REPO / "config/config.yaml")
    )
    out = proc.stdout + proc.stderr
    for rule in ("prepare", "train_base", "score", "attack", "tables", "figures"):
        assert re.search(rf"^{rule}\s+\d+$", out, re.M), rule
