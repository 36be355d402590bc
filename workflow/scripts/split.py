"""Thin adapter: rule split -> diffcal.stages.split.run_split."""

from diffcal.core.logs import setup_logging
from diffcal.data.splits import part_splits
from diffcal.stages import optional_file
from diffcal.stages.split import run_split

setup_logging(snakemake.log[0])
run_split(
    data=snakemake.input.data,
    out=snakemake.output.split,
    root_seed=snakemake.params.root_seed,
    dataset=snakemake.params.seed_key,
    splits=part_splits(snakemake.wildcards.part),
    cfg=snakemake.params.cfg,
    members=optional_file(snakemake.input.get("members")),
    members_in_data=snakemake.params.members_in_data,
)
