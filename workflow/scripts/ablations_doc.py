"""Thin adapter: rule ablations_doc -> diffcal.stages.ablations_doc.run_ablations_doc."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.ablations_doc import run_ablations_doc

setup_logging(snakemake.log[0])
run_ablations_doc(out_md=snakemake.output.md, **rule_params(snakemake.params))
