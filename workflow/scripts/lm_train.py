"""Thin adapter: rule lm_train -> diffcal.stages.lm_train.run_lm_train."""

from diffcal.core.logs import setup_logging
from diffcal.stages import optional_file, rule_params
from diffcal.stages.lm_train import run_lm_train

setup_logging(snakemake.log[0])
run_lm_train(
    documents=snakemake.input.documents,
    init=optional_file(snakemake.input.init),
    out=snakemake.output.model,
    **rule_params(snakemake.params),
)
