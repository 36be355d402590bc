"""Thin adapter: rule audit_scores -> diffcal.stages.audit_scores.run_audit_scores."""

from diffcal.core.logs import setup_logging
from diffcal.stages.audit_scores import run_audit_scores

setup_logging(snakemake.log[0])
run_audit_scores(
    target=snakemake.input.target,
    references=list(snakemake.input.references),
    members=snakemake.input.members,
    out_scores=snakemake.output.scores,
    out_attack_scores=snakemake.output.attack_scores,
    extra=snakemake.params.extra,
)
