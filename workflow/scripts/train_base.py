"""Thin adapter: rule train_base -> diffcal.stages.train.run_train_base."""

from diffcal.stages.common import setup_logging
from diffcal.stages.train import run_train_base

setup_logging(snakemake.log[0])
run_train_base(
    data=snakemake.input.data,
    split=snakemake.input.split,
    out=snakemake.output.model,
    role=snakemake.wildcards.role,
    root_seed=snakemake.params.root_seed,
    dataset=snakemake.params.seed_key,
    split_index=int(snakemake.wildcards.split),
    model_cfg=snakemake.params.model_cfg,
    recipe=snakemake.params.recipe,
    threads=snakemake.threads,
)
