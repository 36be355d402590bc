"""Thin adapter: rule score -> diffcal.stages.score.run_score."""

from diffcal.core.logs import setup_logging
from diffcal.stages.score import run_score

setup_logging(snakemake.log[0])
run_score(
    data=snakemake.input.data,
    split=snakemake.input.split,
    models={
        name: snakemake.input[name]
        for name in ("target", "shadow", "scratch", "forget_target", "forget_shadow")
    },
    out=snakemake.output.scores,
    batch_size=snakemake.params.batch_size,
    threads=snakemake.threads,
)
