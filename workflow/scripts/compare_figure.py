"""Thin adapter: rule compare_figure -> diffcal.stages.compare_figure.run_compare_figure."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.compare_figure import run_compare_figure

setup_logging(snakemake.log[0])
run_compare_figure(**snakemake.output, **rule_params(snakemake.params))
