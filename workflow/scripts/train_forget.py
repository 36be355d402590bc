"""Thin adapter: rule train_forget -> diffcal.stages.train_forget.run_train_forget."""

from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
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
)
