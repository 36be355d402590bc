"""Thin adapter: rule fig_dp -> diffcal.stages.ablations.run_fig_dp."""

from diffcal.logs import setup_logging
from diffcal.stages.ablations import run_fig_dp

setup_logging(snakemake.log[0])
run_fig_dp(
    attack_scores=snakemake.params.attack_scores,
    metrics_files=snakemake.params.metrics,
    targets=snakemake.params.targets,
    fpr_levels=snakemake.params.fpr_levels,
    title=snakemake.params.title,
    out_csv=snakemake.output.csv,
    out_curves=snakemake.output.curves,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
)
