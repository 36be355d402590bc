"""Thin adapter: rule attack -> diffcal.stages.attack.run_attack."""

from diffcal.stages.attack import run_attack
from diffcal.stages.common import setup_logging

setup_logging(snakemake.log[0])
run_attack(
    scores=snakemake.input.scores,
    split=snakemake.input.split,
    out_scores=snakemake.output.attack_scores,
    out_metrics=snakemake.output.metrics,
    cfg=snakemake.params.cfg,
)
