"""Thin adapter: rule attack -> diffcal.stages.attack.run_attack."""

from diffcal.core.logs import setup_logging
from diffcal.stages.attack import run_attack

setup_logging(snakemake.log[0])
run_attack(
    scores=snakemake.input.scores,
    split=snakemake.input.split,
    out_scores=snakemake.output.attack_scores,
    out_metrics=snakemake.output.metrics,
    out_bootstrap=snakemake.output.bootstrap,
    cfg=snakemake.params.cfg,
    dataset=snakemake.wildcards.dataset,
    variant=snakemake.wildcards.variant,
    label_only=snakemake.input.get("label_only") or None,
)
