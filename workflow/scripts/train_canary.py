"""Thin adapter: rule train_canary -> diffcal.stages.train_canary.run_train_canary."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.train_canary import run_train_canary

setup_logging(snakemake.log[0])
run_train_canary(
    **snakemake.input,
    **snakemake.output,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
