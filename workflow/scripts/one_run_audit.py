"""Thin adapter: rule one_run_audit -> diffcal.stages.one_run_audit.run_one_run_audit."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.one_run_audit import run_one_run_audit

setup_logging(snakemake.log[0])
run_one_run_audit(**snakemake.input, **snakemake.output, **rule_params(snakemake.params))
