"""Thin adapter: rule prepare -> diffcal.stages.prepare.run_prepare."""

from diffcal.core.logs import setup_logging
from diffcal.stages.prepare import run_prepare

setup_logging(snakemake.log[0])
run_prepare(
    source=snakemake.params.source,
    source_kwargs=snakemake.params.source_kwargs,
    data_dir=snakemake.config["data_dir"],
    out=snakemake.output.data,
)
