"""Thin adapter: rule provenance -> diffcal.stages.provenance.run_provenance."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.provenance import run_provenance

setup_logging(snakemake.log[0])
run_provenance(out=snakemake.output.out, **rule_params(snakemake.params))
