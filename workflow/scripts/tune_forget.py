"""Thin adapter: rule tune_forget -> diffcal.stages.tune_forget.run_tune_forget."""

from diffcal.logs import setup_logging
from diffcal.stages.tune_forget import run_tune_forget

setup_logging(snakemake.log[0])
run_tune_forget(
    data=snakemake.input.data,
    split=snakemake.input.split,
    shadow=snakemake.input.shadow,
    out_json=snakemake.output.chosen,
    out_csv=snakemake.output.table,
    root_seed=snakemake.params.root_seed,
    dataset=snakemake.params.seed_key,
    recipe=snakemake.params.recipe,
    grid=snakemake.params.grid,
    size_fraction=snakemake.params.size_fraction,
    early_stopping=snakemake.params.early_stopping,
    patience=snakemake.params.patience,
    threads=snakemake.threads,
)
