"""Thin adapter: rule audit_report -> diffcal.stages.audit_report.run_audit_report."""

from diffcal.core.logs import setup_logging
from diffcal.stages import optional_file, rule_params
from diffcal.stages.audit_report import run_audit_report

setup_logging(snakemake.log[0])
run_audit_report(
    attack_scores=list(snakemake.input.attack_scores),
    scores=list(snakemake.input.scores),
    name=snakemake.wildcards.audit,
    data=optional_file(snakemake.input.data),
    **rule_params(snakemake.params),
    out_md=snakemake.output.md,
    out_html=snakemake.output.html,
    out_png=snakemake.output.png,
    out_pdf=snakemake.output.pdf,
    out_metrics=snakemake.output.metrics,
    out_risk=snakemake.output.risk,
)
