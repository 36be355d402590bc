"""Thin adapter: rule fig_dp -> diffcal.stages.fig_dp.run_fig_dp."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.fig_dp import run_fig_dp

setup_logging(snakemake.log[0])
run_fig_dp(
    out_csv=snakemake.output.csv,
    out_curves=snakemake.output.curves,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
    out_tradeoff_png=snakemake.output.tradeoff_png,
    out_tradeoff_pdf=snakemake.output.tradeoff_pdf,
    **rule_params(snakemake.params),
)
