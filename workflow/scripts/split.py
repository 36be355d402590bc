"""Thin adapter: rule split -> diffcal.stages.split.run_split."""

from diffcal.core.logs import setup_logging
from diffcal.data.splits import part_splits
from diffcal.stages import optional_file, rule_params
from diffcal.stages.split import run_split

setup_logging(snakemake.log[0])
run_split(
    data=snakemake.input.data,
    out=snakemake.output.split,
    splits=part_splits(snakemake.wildcards.part),
    members=optional_file(snakemake.input.get("members")),
    **rule_params(snakemake.params),
)
