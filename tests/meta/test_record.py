"""The published record is made at one commit: the one CHANGELOG.md names for the
package's version, named by every copy's provenance and at the top of every page
that quotes a run. A copy not yet rerun at that commit must be listed in PENDING
(and in CHANGELOG.md), so that the test fails the day it is refreshed and not
struck off, or when a copy from another commit slips in unlisted."""

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADING = re.compile(
    r"^## (?P<version>\d+\.\d+\.\d+): the record at `(?P<commit>[0-9a-f]{7,40})`$", re.M
)
#: Copies under docs/ still from an earlier commit (their runs take longer than one
#: session here; CHANGELOG.md's record entry names them).
PENDING: set[str] = set()


def record() -> tuple[str, str]:
    """(version, commit) of CHANGELOG.md's newest record heading."""
    m = HEADING.search((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert m, "CHANGELOG.md names no record: a heading '## X.Y.Z: the record at `<commit>`'"
    return m["version"], m["commit"]


def test_the_record_is_the_packages_version():
    version, _ = record()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == version


def test_every_copy_under_docs_names_the_record_commit():
    version, commit = record()
    copies = sorted((ROOT / "docs").rglob("provenance.json"))
    assert copies
    at_record = set()
    for p in copies:
        prov = json.loads(p.read_text(encoding="utf-8"))
        if prov["commit"].startswith(commit) and prov["packages"]["diffcal"] == version:
            at_record.add(p.relative_to(ROOT).as_posix())
    others = {p.relative_to(ROOT).as_posix() for p in copies} - at_record
    assert others == PENDING


def test_every_page_that_quotes_a_run_names_the_record_commit_at_its_top():
    _, commit = record()
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    quoting = [
        p
        for p in pages
        if any(m in p.read_text(encoding="utf-8") for m in ("generated:", "<!-- value:"))
    ]
    assert quoting
    for p in quoting:
        top = "\n".join(p.read_text(encoding="utf-8").splitlines()[:8])
        assert f"`{commit}`" in top, p.relative_to(ROOT)
