"""Thin adapter: rule fig_train_size -> diffcal.stages.fig_train_size.run_fig_train_size."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.fig_train_size import run_fig_train_size

setup_logging(snakemake.log[0])
run_fig_train_size(
    out_csv=snakemake.output.csv,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
    **rule_params(snakemake.params),
)
