"""The guard against untraced change: the embedded default's outputs equal the
committed manifest of this platform (tests/data/manifests/default/<platform>.txt),
which names the CHANGELOG.md entry that explains them."""

import pytest
from conftest import REPO, copy_workflow, snakemake

from diffcal.reporting import manifest

MANIFESTS = sorted((REPO / "tests/data/manifests/default").glob("*.txt"))


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
    path = REPO / f"tests/data/manifests/default/{manifest.platform_key()}.txt"
    if not path.exists():
        pytest.skip(
            f"no manifest recorded for this platform ({path.stem}): see diffcal.reporting.manifest"
        )
    wd = copy_workflow(tmp_path / "wd")
    snakemake(wd, "all", "--cores", "2")
    _, want = manifest.parse(path.read_text())
    assert manifest.differences(want, manifest.digests(wd / "results")) == []
