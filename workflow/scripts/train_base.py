"""Thin adapter: rule train_base -> diffcal.stages.train_base.run_train_base."""

from diffcal.logs import setup_logging
from diffcal.stages.train_base import run_train_base

setup_logging(snakemake.log[0])
run_train_base(
    data=snakemake.input.data,
    split=snakemake.input.split,
    out={"target": snakemake.output.target, "shadow": snakemake.output.shadow},
    root_seed=snakemake.params.root_seed,
    dataset=snakemake.params.seed_key,
    model_cfg=snakemake.params.model_cfg,
    recipe=snakemake.params.recipe,
    dp=snakemake.params.dp,
    threads=snakemake.threads,
)
