"""Thin adapter: rule lm_audit_scores -> diffcal.stages.lm_audit_scores.run_lm_audit_scores."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.lm_audit_scores import run_lm_audit_scores

setup_logging(snakemake.log[0])
run_lm_audit_scores(
    documents=snakemake.input.documents,
    target=snakemake.input.target,
    references=list(snakemake.input.references),
    lira=list(snakemake.input.lira),
    out={k: snakemake.output[k] for k in ("scores", "metrics", "gains", "report")},
    **rule_params(snakemake.params),
)
