"""Thin adapter: rule compare_attack -> diffcal.stages.compare_attack.run_compare_attack."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.compare_attack import run_compare_attack

setup_logging(snakemake.log[0])
run_compare_attack(**snakemake.input, **snakemake.output, **rule_params(snakemake.params))
