"""Thin adapter: rule train_base -> diffcal.stages.train_base.run_train_base."""

from diffcal.core.logs import setup_logging
from diffcal.stages import optional_file, rule_params, shared_files
from diffcal.stages.train_base import run_train_base

setup_logging(snakemake.log[0])
run_train_base(
    data=snakemake.input.data,
    split=snakemake.input.split,
    out={"target": snakemake.output.target, "shadow": snakemake.output.shadow},
    **rule_params(snakemake.params),
    threads=snakemake.threads,
    checkpoint=optional_file(snakemake.input.get("checkpoint")),
    shared=shared_files(snakemake.input, shadow="shared_shadow"),
)
