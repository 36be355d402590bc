"""Stage ``lm_attack``: per-token scores of the workflow's target and references ->
every attack's score per document, metrics with intervals, calibration's gain, the
blind baseline, and the report (results/lm/<name>/)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from diffcal.reporting.lm_report import run_audit
from diffcal.training.causal_lm import new_tokenizer, scored_texts


def run_lm_attack(
    *,
    documents: str,
    target: str,
    references: Mapping[str, str],
    out_scores: str,
    out_metrics: str,
    out_gains: str,
    out_report: str,
    ks: Sequence[float],
    fpr_levels: Sequence[float],
    n_boot: int,
    seed: int,
    label: str,
    model_cfg: Mapping[str, Any],
    lira: Sequence[str] = (),
    lira_names: Sequence[str] = (),
) -> None:
    """``references``: name -> per-token file of each calibrating reference;
    ``lira``: the per-token files of LiRA's references, named by ``lira_names``."""
    docs = pd.read_parquet(documents)
    audited = docs[docs["role"].isin(["member", "nonmember"])].reset_index(drop=True)
    audited["is_member"] = audited["role"] == "member"
    tokenizer = new_tokenizer(dict(model_cfg))
    audited["scored_text"] = scored_texts(audited["text"], tokenizer, model_cfg["context"])
    run_audit(
        docs=audited[["doc", "is_member", "text", "scored_text"]],
        target=target,
        references=references,
        lira_references=dict(zip(lira_names, lira, strict=True)),
        out={
            "scores": out_scores,
            "metrics": out_metrics,
            "gains": out_gains,
            "report": out_report,
        },
        ks=ks,
        fpr_levels=fpr_levels,
        n_boot=n_boot,
        seed=seed,
        label=label,
    )
