"""Thin adapter: rule train_pool -> diffcal.stages.train_pool.run_train_pool."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.train_pool import run_train_pool

setup_logging(snakemake.log[0])
run_train_pool(
    **snakemake.input,
    **snakemake.output,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
