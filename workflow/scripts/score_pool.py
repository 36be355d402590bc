"""Thin adapter: rule score_pool -> diffcal.stages.score_pool.run_score_pool."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.score_pool import run_score_pool

setup_logging(snakemake.log[0])
run_score_pool(
    **snakemake.input,
    **snakemake.output,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
