"""Thin adapter: rule lm_attack -> diffcal.stages.lm_attack.run_lm_attack."""

from diffcal.config.lm_views import REFERENCES
from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.lm_attack import run_lm_attack

setup_logging(snakemake.log[0])
run_lm_attack(
    documents=snakemake.input.documents,
    target=snakemake.input.target,
    references=dict(zip(REFERENCES, snakemake.input.references, strict=True)),
    out_scores=snakemake.output.scores,
    out_metrics=snakemake.output.metrics,
    out_gains=snakemake.output.gains,
    out_report=snakemake.output.report,
    lira=list(snakemake.input.lira),
    **rule_params(snakemake.params),
)
