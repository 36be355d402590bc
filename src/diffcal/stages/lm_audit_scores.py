"""Stage ``lm_audit_scores``: a language model's audit from per-token files computed
elsewhere (``lm_audits``): the same outputs as ``lm_attack``, no torch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from diffcal.data.sources.table import read_file
from diffcal.reporting.lm_report import run_audit


def read_documents_file(path: str) -> pd.DataFrame:
    """The audited documents: ``doc``, ``is_member`` (bool), optional ``text`` and
    ``scored_text``; one line naming the problem otherwise."""
    docs = read_file(Path(path))
    missing = [c for c in ("doc", "is_member") if c not in docs.columns]
    if missing:
        raise ValueError(f"documents: {path} lacks the columns {missing}")
    repeats = docs["doc"][docs["doc"].duplicated()]
    if len(repeats):
        raise ValueError(f"documents: {path} repeats doc ids (e.g. {repeats.iloc[0]})")
    member = (
        docs["is_member"]
        .astype(str)
        .str.lower()
        .map({"true": True, "1": True, "false": False, "0": False})
    )
    if member.isna().any() or member.nunique() < 2:
        raise ValueError(
            f"documents: {path}: is_member must be true/false (or 1/0), with both present"
        )
    cols = ["doc", *(c for c in ("text", "scored_text") if c in docs.columns)]
    return docs[cols].assign(is_member=member.to_numpy(bool)).reset_index(drop=True)


def run_lm_audit_scores(
    *,
    documents: str,
    target: str,
    references: Sequence[str],
    names: Sequence[str],
    out: Mapping[str, str],
    ks: Sequence[float],
    fpr_levels: Sequence[float],
    n_boot: int,
    seed: int,
    label: str,
    lira: Sequence[str] = (),
    lira_names: Sequence[str] = (),
) -> None:
    """``references`` (files) named by ``names`` calibrate; ``lira`` (files) named by
    ``lira_names`` are offline LiRA's references."""
    docs = read_documents_file(documents)
    run_audit(
        docs=docs,
        target=target,
        references=dict(zip(names, references, strict=True)),
        lira_references=dict(zip(lira_names, lira, strict=True)),
        out=out,
        ks=ks,
        fpr_levels=fpr_levels,
        n_boot=n_boot,
        seed=seed,
        label=label,
    )
