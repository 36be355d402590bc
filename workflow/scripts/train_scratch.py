"""Thin adapter: rule train_scratch -> diffcal.stages.train_scratch.run_train_scratch."""

from diffcal.logs import setup_logging
from diffcal.stages.train_scratch import run_train_scratch

setup_logging(snakemake.log[0])
run_train_scratch(
    data=snakemake.input.data,
    split=snakemake.input.split,
    out=snakemake.output.models,
    root_seed=snakemake.params.root_seed,
    dataset=snakemake.params.seed_key,
    model_cfg=snakemake.params.model_cfg,
    recipe=snakemake.params.recipe,
    dp=snakemake.params.dp,
    n_models=snakemake.params.n_models,
    size_fraction=snakemake.params.size_fraction,
    early_stopping=snakemake.params.early_stopping,
    patience=snakemake.params.patience,
    threads=snakemake.threads,
)
