"""Data sources are records in their own files: the registry finds them by reading
the files, so a new source is one new file (docs/extending.md's example)."""

import os
import subprocess
import sys

import pytest
from builders import extending_examples
from conftest import REPO, copy_workflow

from diffcal.data import registry
from diffcal.data.source import Source


def _docs_toy() -> str:
    """The toy source of docs/extending.md ("A data source"), as the docs show it."""
    (block,) = extending_examples("A data source")
    path, body = block.split("\n", 1)
    assert path == "# src/diffcal/data/sources/toy.py"
    return body


TOY = _docs_toy()


def test_every_module_with_a_loader_declares_its_sources():
    """The records name functions their modules define, with the loaders' options
    and the same sizes the loaders give (sklearn sets: loaded here)."""
    import importlib

    for name, rec in registry.RECORDS.items():
        module = importlib.import_module(rec.module)
        assert callable(getattr(module, rec.loader)), name
        assert rec.check is None or callable(getattr(module, rec.check)), name
        assert set(rec.file_options) <= set(registry.source_options(name)), name
    assert registry.prepare("sklearn_digits").n == registry.SOURCE_SIZES["sklearn_digits"]


def test_a_bad_declaration_is_named(tmp_path):
    (tmp_path / "a.py").write_text('SOURCES = [Source("x", loader=make_name())]\n')
    with pytest.raises(ValueError, match="literal arguments only"):
        registry.discover(tmp_path, "pkg")
    (tmp_path / "a.py").write_text('SOURCES = [Source("x", loader="f")]\n')
    (tmp_path / "b.py").write_text('SOURCES = [Source("x", loader="g")]\n')
    with pytest.raises(ValueError, match="'x' declared twice"):
        registry.discover(tmp_path, "pkg")
    (tmp_path / "b.py").write_text('SOURCES = [Source("y", loader="g", size=3)]\n')
    assert registry.discover(tmp_path, "pkg") == {
        "x": Source("x", loader="f", module="pkg.a"),
        "y": Source("y", loader="g", size=3, module="pkg.b"),
    }


def test_a_new_source_is_one_new_file(tmp_path):
    """docs/extending.md: toy.py under src/diffcal/data/sources/ and no other edit;
    the config check takes it (with its options and size) and a dry run plans its
    dataset."""
    wd = copy_workflow(tmp_path / "wf")
    (wd / "src/diffcal/data/sources/toy.py").write_text(TOY)
    code = """
from diffcal.config.load import prepare_config
from diffcal.config.errors import ConfigError
from diffcal.data import registry
d = registry.prepare("toy", spread=0.5)
assert d.n == 300 == registry.SOURCE_SIZES["toy"]
prepare_config({"datasets": {"t": {"source": "toy", "source_kwargs": {"spread": 2.0}}}})
try:
    prepare_config({"datasets": {"t": {"source": "toy", "source_kwargs": {"spred": 2.0}}}})
except ConfigError as e:
    print(e)
"""
    env = {"PYTHONPATH": str(wd / "src"), "PATH": ""}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=wd, capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "datasets.t.source_kwargs.spred': unknown option of source 'toy'" in proc.stdout
    assert (REPO / "src/diffcal/data/sources/toy.py").exists() is False
    (wd / "toy.yaml").write_text("datasets:\n  toy_set: {source: toy, splits: 1}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", "toy.yaml"],
        cwd=wd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(wd / "src")},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "wildcards: dataset=toy_set" in proc.stdout
