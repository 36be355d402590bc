"""Every repository path the README and the docs name exists (a moved module
leaves no dangling reference behind)."""

import re

from conftest import REPO

#: Paths the docs name on purpose although they do not exist: the docs' examples
#: of a file a user adds.
EXAMPLES = {"src/diffcal/data/sources/toy.py", "src/diffcal/attacks/min_gap.py"}
FOLDERS = "src|config|docs|benchmarks|examples|tests|workflow|profiles|envs"
PATH = re.compile(rf"(?<![\w./-])((?:{FOLDERS})/[\w./*<>{{}}-]+)")


def test_paths_named_in_the_docs_exist():
    docs = [REPO / "README.md", REPO / "config/README.md", *sorted((REPO / "docs").rglob("*.md"))]
    missing = set()
    for doc in docs:
        for match in PATH.finditer(doc.read_text(encoding="utf-8")):
            path = match.group(1).rstrip(".,;:")
            if any(c in path for c in "*<>{}"):
                continue  # a pattern (config/audit_*.yaml), not one path
            if path not in EXAMPLES and not (REPO / path).exists():
                missing.add(f"{doc.relative_to(REPO)}: {path}")
    assert sorted(missing) == []
