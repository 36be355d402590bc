"""Stage ``provenance``: ``provenance.json`` of an output folder
(:mod:`diffcal.reporting.provenance`)."""

from __future__ import annotations

from diffcal.core.io import write_json
from diffcal.reporting.provenance import provenance


def run_provenance(*, out: str, commit: str, config_sha256: str) -> None:
    write_json(out, provenance(commit=commit, config_sha256=config_sha256))
