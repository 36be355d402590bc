"""Thin adapter: rule fig_references -> diffcal.stages.ablations.run_fig_references."""

from diffcal.logs import setup_logging
from diffcal.stages.ablations import run_fig_references

setup_logging(snakemake.log[0])
run_fig_references(
    scores=snakemake.params.scores,
    splits=snakemake.params.splits,
    size_fractions=snakemake.params.size_fractions,
    max_k=snakemake.params.max_k,
    title=snakemake.params.title,
    out_csv=snakemake.output.csv,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
)
