"""Stage ``one_run_audit``: the guesses and bounds of the one-run audit of a
variant (:mod:`diffcal.attacks.one_run`) from its canaries
(:mod:`diffcal.stages.train_canary`) and the scratch references' losses in its
``scores.parquet``. Scores: the loss (``loss_orig``: -loss) and the loss calibrated
by the scratch references (``loss_cal``: -(loss - mean reference loss)).

Output ``one_run.csv``: ``score``, ``m``, ``k``, ``guesses``, ``correct``,
``epsilon_lb``, ``epsilon_lb_any`` (pure DP) and ``epsilon_lb_delta``,
``epsilon_lb_delta_any`` (at the variant's delta)
(:func:`diffcal.attacks.one_run.one_run_table`); ``one_run_bounds.csv``: guesses by
threshold on all canaries, in the pure, (epsilon, delta) and f-DP forms
(:func:`diffcal.attacks.one_run.one_run_threshold_bounds`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from diffcal.attacks.one_run import canary_scores, one_run_table, one_run_threshold_bounds
from diffcal.core.io import write_csv

log = logging.getLogger("diffcal")


def run_one_run_audit(
    *,
    canaries: str,
    scores: str,
    out: str,
    bounds: str,
    ms: Sequence[int],
    ks: Sequence[int],
    delta: float | None = None,
) -> None:
    """``delta``: the variant's DP delta, for the (epsilon, delta) and f-DP forms of
    the bounds. ``bounds``: :func:`diffcal.attacks.one_run.one_run_threshold_bounds`."""
    c = pd.read_parquet(canaries)
    sc = pd.read_parquet(scores, columns=["split", "model", "sample_id", "loss"])
    split = int(sc["split"].min())
    included = c["included"].to_numpy(bool)
    scored = canary_scores(c, sc, split)
    table = one_run_table(scored, included, ms, ks, delta=delta)
    write_csv(one_run_threshold_bounds(scored, included, delta), bounds)
    for name, g in table.groupby("score", sort=False):
        best = g.loc[g["epsilon_lb_any"].idxmax()]
        log.info(
            "%s: best bound %.3f (m=%d, k=%d: %d of %d correct)",
            name,
            best["epsilon_lb_any"],
            best["m"],
            best["k"],
            best["correct"],
            best["guesses"],
        )
    write_csv(table, out)
