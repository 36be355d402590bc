"""Thin adapter: rule check_target -> diffcal.stages.check_target.run_check_target."""

from diffcal.core.logs import setup_logging
from diffcal.stages import optional_file, rule_params
from diffcal.stages.check_target import run_check_target

setup_logging(snakemake.log[0])
run_check_target(
    data=snakemake.input.data,
    checkpoint=optional_file(snakemake.input.checkpoint),
    members=optional_file(snakemake.input.get("members")),
    out=snakemake.output.out,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
)
