"""Thin adapter: rule tune_forget -> diffcal.stages.tune_forget.run_tune_forget."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.tune_forget import run_tune_forget

setup_logging(snakemake.log[0])
run_tune_forget(
    **snakemake.input,
    **snakemake.output,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
