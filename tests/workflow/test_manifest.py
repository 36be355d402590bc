"""The guard against untraced change: the embedded default's outputs equal the
committed manifest (tests/data/manifests/default.txt), which names the
CHANGELOG.md entry that explains them."""

from conftest import REPO, copy_workflow, snakemake

from diffcal.reporting import manifest

MANIFEST = REPO / "tests/data/manifests/default.txt"


def test_the_manifest_names_an_entry_of_the_changelog():
    title, files = manifest.parse(MANIFEST.read_text())
    assert f"### {title}\n" in (REPO / "CHANGELOG.md").read_text()
    assert len(files) > 40 and all(p.startswith("results/") for p in files)


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
    wd = copy_workflow(tmp_path / "wd")
    snakemake(wd, "all", "--cores", "2")
    _, want = manifest.parse(MANIFEST.read_text())
    assert manifest.differences(want, manifest.digests(wd / "results")) == []
