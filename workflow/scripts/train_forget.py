"""Thin adapter: rule train_forget -> diffcal.stages.train_forget.run_train_forget."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params, shared_files
from diffcal.stages.train_forget import run_train_forget

setup_logging(snakemake.log[0])
run_train_forget(
    data=snakemake.input.data,
    split=snakemake.input.split,
    base={"target": snakemake.input.target, "shadow": snakemake.input.shadow},
    out={"target": snakemake.output.forget_target, "shadow": snakemake.output.forget_shadow},
    tuning=snakemake.input.tuning or None,
    **rule_params(snakemake.params),
    threads=snakemake.threads,
    shared=shared_files(snakemake.input, shadow="shared_forget_shadow"),
)
