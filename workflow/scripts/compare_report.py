"""Thin adapter: rule compare_report -> diffcal.stages.compare_report.run_compare_report."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.compare_report import run_compare_report

setup_logging(snakemake.log[0])
run_compare_report(**snakemake.input, **snakemake.output, **rule_params(snakemake.params))
