"""Provenance records: the commit (clean, dirty, outside git), the config digest,
the library versions."""

import json
import subprocess
from importlib import metadata

import pytest

from diffcal.reporting import provenance as pv


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_commit_is_the_checkouts_and_says_when_it_is_dirty(tmp_path):
    assert pv.git_commit(tmp_path) == "not a git checkout"
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("1")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert pv.git_commit(tmp_path) == head
    (tmp_path / "untracked.txt").write_text("results are not the code")
    assert pv.git_commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("2")
    assert pv.git_commit(tmp_path) == head + "-dirty"


def test_config_digest_follows_the_settings_not_the_data_directory():
    cfg = {"name": "x", "root_seed": 1, "datasets": {"d": {"splits": 2}}, "data_dir": "/a"}
    same = {**cfg, "data_dir": "/elsewhere"}
    other = {**cfg, "root_seed": 2}
    assert pv.config_digest(cfg) == pv.config_digest(same) != pv.config_digest(other)
    assert pv.config_digest(dict(reversed(cfg.items()))) == pv.config_digest(cfg)


def test_record_names_the_installed_versions_and_the_machine():
    rec = pv.provenance(commit="abc", config_sha256="f" * 64)
    assert rec["commit"] == "abc" and rec["config_sha256"] == "f" * 64
    assert rec["packages"]["torch"] == metadata.version("torch")
    assert rec["packages"]["scikit-learn"] == metadata.version("scikit-learn")
    assert rec["machine"]["cpu_count"] >= 1 and rec["machine"]["cpu"]
    json.dumps(rec)  # a JSON record
    with pytest.raises(TypeError):
        pv.provenance(commit="abc")  # both are required


def test_the_lm_extra_is_listed_only_where_installed(monkeypatch):
    real = metadata.version

    def version(name):
        if name in pv.OPTIONAL:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(pv.metadata, "version", version)
    assert not set(pv.package_versions()) & set(pv.OPTIONAL)
    monkeypatch.setattr(pv.metadata, "version", lambda name: "1.0")
    assert set(pv.OPTIONAL) <= set(pv.package_versions())
