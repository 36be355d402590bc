"""Thin adapter: rule tables -> diffcal.stages.tables.run_tables."""

from pathlib import Path

from diffcal.core.logs import setup_logging
from diffcal.stages.tables import run_tables

setup_logging(snakemake.log[0])
run_tables(
    runs=snakemake.params.runs,
    out_dir=str(Path(snakemake.output.summary).parent),
    attacks=snakemake.params.attacks,
)
