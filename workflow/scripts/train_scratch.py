"""Thin adapter: rule train_scratch -> diffcal.stages.train_scratch.run_train_scratch."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.train_scratch import run_train_scratch

setup_logging(snakemake.log[0])
run_train_scratch(
    **snakemake.input,
    **snakemake.output,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
