"""The walkthroughs of docs/audit.md run as documented: the example script, then
Snakemake on the config; the results recompute from the published files."""

from __future__ import annotations

import re

from conftest import (
    REPO,
    WALKTHROUGHS,
)


def test_docs_name_the_walkthrough_configs_and_scripts():
    doc = (REPO / "docs/audit.md").read_text()
    for configfile, script in WALKTHROUGHS.items():
        assert f"python examples/{script}.py" in doc
        assert f"--configfile config/{configfile}" in doc
    for path in re.findall(r"`((?:config|examples)/[\w/.]+\.(?:py|yaml))`", doc):
        assert (REPO / path).is_file(), path
