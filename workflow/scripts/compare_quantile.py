"""Thin adapter: rule compare_quantile -> diffcal.stages.compare_quantile.run_compare_quantile."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.compare_quantile import run_compare_quantile

setup_logging(snakemake.log[0])
run_compare_quantile(
    **snakemake.input,
    **snakemake.output,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
