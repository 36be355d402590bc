"""Thin adapter: rule one_run_report -> diffcal.stages.one_run_report.run_one_run_report."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.one_run_report import run_one_run_report

setup_logging(snakemake.log[0])
run_one_run_report(**snakemake.output, **rule_params(snakemake.params))
