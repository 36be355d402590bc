"""Thin adapter: rule fig_references -> diffcal.stages.fig_references.run_fig_references."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.fig_references import run_fig_references

setup_logging(snakemake.log[0])
run_fig_references(
    out_csv=snakemake.output.csv,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
    **rule_params(snakemake.params),
)
