"""Thin adapter: rule train_forget -> diffcal.stages.train_forget.run_train_forget."""

from diffcal.logs import setup_logging
from diffcal.stages.train_forget import run_train_forget

setup_logging(snakemake.log[0])
run_train_forget(
    data=snakemake.input.data,
    split=snakemake.input.split,
    base={"target": snakemake.input.target, "shadow": snakemake.input.shadow},
    out={"target": snakemake.output.forget_target, "shadow": snakemake.output.forget_shadow},
    root_seed=snakemake.params.root_seed,
    dataset=snakemake.params.seed_key,
    recipe=snakemake.params.recipe,
    n_models=snakemake.params.n_models,
    size_fraction=snakemake.params.size_fraction,
    tuning=snakemake.input.tuning or None,
    early_stopping=snakemake.params.early_stopping,
    patience=snakemake.params.patience,
    threads=snakemake.threads,
)
