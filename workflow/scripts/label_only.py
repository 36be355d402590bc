"""Thin adapter: rule label_only -> diffcal.stages.label_only.run_label_only."""

from diffcal.attacks.model_samples import MODEL_ORDER
from diffcal.core.logs import setup_logging
from diffcal.stages import rule_params
from diffcal.stages.label_only import run_label_only

# The job's worker processes (spawned) import this file again as "__mp_main__":
# the guard keeps them from running the job themselves.
if __name__ == "__main__":
    setup_logging(snakemake.log[0])
    run_label_only(
        data=snakemake.input.data,
        split=snakemake.input.split,
        models={name: snakemake.input[name] for name in MODEL_ORDER},
        out=snakemake.output.out,
        threads=snakemake.threads,
        **rule_params(snakemake.params),
    )
