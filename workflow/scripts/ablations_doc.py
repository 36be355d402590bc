"""Thin adapter: rule ablations_doc -> diffcal.stages.ablations.run_ablations_doc."""

from diffcal.logs import setup_logging
from diffcal.stages.ablations import run_ablations_doc

setup_logging(snakemake.log[0])
run_ablations_doc(
    name=snakemake.params.name,
    fig3=snakemake.params.fig3,
    fig4=snakemake.params.fig4,
    fig5=snakemake.params.fig5,
    fig6=snakemake.params.fig6,
    figure_files=snakemake.params.figures,
    out_md=snakemake.output.md,
)
