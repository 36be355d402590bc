"""Thin adapter: rule lm_score -> diffcal.stages.lm_score.run_lm_score."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.lm_score import run_lm_score

setup_logging(snakemake.log[0])
run_lm_score(
    documents=snakemake.input.documents,
    model=snakemake.input.model,
    out=snakemake.output.tokens,
    **rule_params(snakemake.params),
)
