"""Thin adapter: rule figures -> diffcal.stages.figures.run_figures."""

from diffcal.core.logs import setup_logging
from diffcal.stages.figures import run_figures

setup_logging(snakemake.log[0])
run_figures(
    attack_scores=snakemake.input.attack_scores,
    metrics_csv=snakemake.input.metrics,
    title=snakemake.params.title,
    fig1=(snakemake.output.fig1_png, snakemake.output.fig1_pdf),
    fig2=(snakemake.output.fig2_png, snakemake.output.fig2_pdf),
    score=snakemake.params.score,
    split=snakemake.params.split,
)
