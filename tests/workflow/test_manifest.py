"""The guard against untraced change: the outputs of the embedded default and of
the tabular rows of config/paper.yaml equal the committed manifests of this
platform (tests/data/manifests/<run>/<platform>.txt), each naming the CHANGELOG.md
entry that explains them."""

from pathlib import Path

import pytest
import yaml
from conftest import REPO, SHARED, copy_workflow, snakemake

from diffcal.reporting import manifest

MANIFESTS = sorted((REPO / "tests/data/manifests").glob("*/*.txt"))
TABULAR = ("credit", "hepatitis", "adult")


def paper_tabular_config(wd: Path) -> Path:
    """config/paper.yaml cut to its tabular rows (Credit, Hepatitis, Adult), with the
    label-only attack off (Adult's label-only job alone takes about 8 minutes) and
    the data read from the shared directory; written into ``wd``, its path returned.
    Everything else (seeds, recipes, splits, references, tables) is the config's."""
    cfg = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    cfg["datasets"] = {k: v for k, v in cfg["datasets"].items() if k in TABULAR}
    for ds in cfg["datasets"].values():
        ds["label_only"] = {**ds.get("label_only", {}), "enabled": False}
    cfg["data_dir"] = str(SHARED)
    path = wd / "paper_tabular.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def manifest_of(run: str) -> dict[str, str]:
    """The committed manifest of ``run`` for this platform, or skip saying how to record one."""
    path = REPO / f"tests/data/manifests/{run}/{manifest.platform_key()}.txt"
    if not path.exists():
        pytest.skip(
            f"no {run} manifest recorded for this platform ({path.stem}): "
            "see diffcal.reporting.manifest"
        )
    return manifest.parse(path.read_text())[1]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.stem)
def test_every_manifest_names_an_entry_of_the_changelog(path):
    title, files = manifest.parse(path.read_text())
    assert f"### {title}\n" in (REPO / "CHANGELOG.md").read_text()
    assert len(files) > 40 and all(p.startswith("results/") for p in files)


def test_the_platform_key_names_the_cpu_and_torch():
    key = manifest.platform_key()
    assert "torch" in key and "/" not in key and key == key.lower()


def test_a_changed_missing_or_new_file_is_named(tmp_path):
    root = tmp_path / "results"
    (root / "tables").mkdir(parents=True)
    (root / "tables/a.csv").write_text("x\n1\n")
    (root / "b.parquet").write_bytes(b"\x00")
    before = manifest.digests(root)
    title, parsed = manifest.parse(manifest.render(before, "Some entry"))
    assert (title, parsed) == ("Some entry", before)
    (root / "tables/a.csv").write_text("x\n2\n")
    (root / "b.parquet").unlink()
    (root / "c.md").write_text("new")
    assert manifest.differences(before, manifest.digests(root)) == [
        "missing: results/b.parquet",
        "new: results/c.md",
        "differs: results/tables/a.csv",
    ]


def test_the_embedded_default_reproduces_its_manifest(tmp_path):
    """Rerun `snakemake --cores 2 all`: every output byte-identical to the manifest.
    On a failure, either the change is a bug, or it is intended: then add its
    CHANGELOG.md entry (cause and size) and rewrite the manifest in the same commit
    (the command is in diffcal.reporting.manifest)."""
    want = manifest_of("default")
    wd = copy_workflow(tmp_path / "wd")
    snakemake(wd, "all", "--cores", "2")
    assert manifest.differences(want, manifest.digests(wd / "results")) == []


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no shared data directory at {SHARED}")
def test_the_tabular_rows_of_the_paper_config_reproduce_their_manifest(tmp_path):
    """Rerun config/paper.yaml's Credit, Hepatitis and Adult rows (label-only off;
    :func:`paper_tabular_config`): every output byte-identical to the manifest
    (models, scores, metrics, Tables 1-3, claims, figures). On a failure: as above."""
    want = manifest_of("paper_tabular")
    wd = copy_workflow(tmp_path / "wd")
    config = paper_tabular_config(wd)
    snakemake(wd, "all", "--cores", "2", "--configfile", str(config), timeout=1800)
    assert manifest.differences(want, manifest.digests(wd / "results")) == []
