"""Thin adapter: rule fig_ratio -> diffcal.stages.fig_ratio.run_fig_ratio."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.fig_ratio import run_fig_ratio

setup_logging(snakemake.log[0])
run_fig_ratio(
    attack_scores=list(snakemake.input),
    out_csv=snakemake.output.csv,
    out_curves=snakemake.output.curves,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
    **rule_params(snakemake.params),
)
