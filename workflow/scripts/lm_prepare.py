"""Thin adapter: rule lm_prepare -> diffcal.stages.lm_prepare.run_lm_prepare."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.lm_prepare import run_lm_prepare

setup_logging(snakemake.log[0])
run_lm_prepare(out=snakemake.output.documents, **rule_params(snakemake.params))
