"""Stage ``compare_quantile``: quantile-regression membership inference (Bertran et
al., NeurIPS 2023; :mod:`diffcal.attacks.quantile`) on the comparison's targets, per
split of a part. Difficulty calibration without reference models: one small
regressor, trained on the split's public *population* samples (non-members of the
target, the samples RMIA compares with; read from ``pool_scores.parquet``), predicts
the tau-quantile of the target's LiRA statistic ``log(p_y / (1 - p_y))`` a
non-member like x gets; the attack's score is the statistic minus that quantile.

A seeded ``holdout`` fraction of the population is kept out of the fit: the
coverage of the predicted quantile there (nominal: tau) says whether the regressor
is calibrated. A fifth of the rest stops the fit early (``patience`` epochs
without a better validation pinball loss; ``epochs`` at most). Reads scores,
trains no target or reference.

Outputs:

- ``quantile_scores.parquet``: ``split`` (int16), ``sample_id`` (int32), ``member``
  (bool), ``score`` (float64) for the candidates, sorted by split, sample_id;
- ``quantile_fit.csv``: one row per split: ``tau``, ``n_fit``, ``n_val``, ``n_holdout``,
  ``coverage`` and ``pinball`` (held-out), ``inputs``, ``hidden``, ``parameters``,
  ``epochs`` (run, early stopping included), ``sample_passes`` (fit samples x
  epochs: the regressor's training work).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from diffcal.attacks.quantile import (
    coverage,
    fit_quantile_mlp,
    n_parameters,
    pinball_loss,
    quantile_attack_scores,
    quantile_inputs,
)
from diffcal.core.io import write_csv, write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits

log = logging.getLogger("diffcal")


def split_population(ids: np.ndarray, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit, held-out) sample ids (sorted) of the population ``ids`` (n,): a seeded
    ``holdout`` fraction held out (at least one sample each side)."""
    n_out = min(max(1, round(holdout * len(ids))), len(ids) - 1)
    perm = np.random.default_rng(seed).permutation(len(ids))
    return np.sort(ids[perm[n_out:]]), np.sort(ids[perm[:n_out]])


def run_compare_quantile(
    *,
    data: str,
    split: str,
    scores: str,
    out_scores: str,
    out_fit: str,
    quantile: Mapping[str, float],
    seeds: Mapping[str, object],
    threads: int = 1,
) -> None:
    d = load_prepared(data)
    sc = pd.read_parquet(scores, columns=["split", "model", "sample_id", "population", "lira_stat"])
    frames, rows = [], []
    for t, sp in read_splits(split).items():
        tgt = sc[(sc["split"] == t) & (sc["model"] == "target")].set_index("sample_id")
        seed = derive_seed(seeds["root_seed"], seeds["key"], t, "quantile")
        frame, row = quantile_split(d, t, tgt, ids_with_role(sp, "member"), quantile, seed, threads)
        frames.append(frame)
        rows.append(row)
    write_parquet(pd.concat(frames, ignore_index=True), out_scores)
    write_csv(pd.DataFrame(rows), out_fit)


def _population_parts(t, tgt, holdout: float, seed: int):
    """The population samples of ``tgt``: (fit, early-stopping validation, held-out)
    ids; validation is a fifth of the fit samples, the held-out ones stay untouched."""
    pop = tgt.index[tgt["population"]].to_numpy()
    if len(pop) < 10:
        raise ValueError(
            f"split {t}: {len(pop)} population samples; the quantile "
            "regressor needs at least 10 (compare.population)"
        )
    fit_ids, out_ids = split_population(pop, holdout, seed)
    fit_ids, val_ids = split_population(fit_ids, 0.2, seed + 1)
    return fit_ids, val_ids, out_ids


def quantile_split(d, t, tgt, members, quantile, seed, threads) -> tuple[pd.DataFrame, dict]:
    """One split: the regressor fitted on the population samples of ``tgt`` (the
    target's rows, by sample id), the candidates' scores and the fit's row."""
    tau = float(quantile["tau"])
    cand = np.sort(tgt.index[~tgt["population"]].to_numpy())
    fit_ids, val_ids, out_ids = _population_parts(t, tgt, float(quantile["holdout"]), seed)

    def inputs(ids: np.ndarray) -> np.ndarray:
        return quantile_inputs(d.features(ids), d.y[ids], d.num_classes)

    stat = tgt["lira_stat"]
    cpu = time.process_time()
    model = fit_quantile_mlp(
        inputs(fit_ids),
        stat.loc[fit_ids].to_numpy(),
        tau,
        hidden=int(quantile["hidden"]),
        epochs=int(quantile["epochs"]),
        lr=float(quantile["lr"]),
        batch_size=int(quantile["batch_size"]),
        seed=seed,
        threads=threads,
        val=(inputs(val_ids), stat.loc[val_ids].to_numpy()),
        patience=int(quantile["patience"]),
    )
    cpu = time.process_time() - cpu
    y_out, q_out = stat.loc[out_ids].to_numpy(), model.predict(inputs(out_ids))
    score = quantile_attack_scores(stat.loc[cand].to_numpy(), model.predict(inputs(cand)))
    frame = pd.DataFrame(
        {
            "split": np.full(len(cand), t, np.int16),
            "sample_id": cand.astype(np.int32),
            "member": np.isin(cand, members),
            "score": score,
        }
    )
    n_in, hidden = len(model.x_mean), int(quantile["hidden"])  # the regressor's widths
    row = {
        "split": t,
        "tau": tau,
        "n_fit": len(fit_ids),
        "n_val": len(val_ids),
        "n_holdout": len(out_ids),
        "coverage": coverage(y_out, q_out),
        "pinball": pinball_loss(y_out, q_out, tau),
        "inputs": n_in,
        "hidden": hidden,
        "parameters": n_parameters(n_in, hidden),
        "epochs": model.epochs_run,
        "sample_passes": len(fit_ids) * model.epochs_run,
    }
    # CPU time goes to the log only: outputs stay byte-identical from run to run.
    log.info(
        "split %d: regressor on %d population samples (%d inputs) in %.1f CPU-s; "
        "held-out coverage %.3f at tau %.2f",
        *(t, len(fit_ids), n_in, cpu, row["coverage"], tau),
    )
    return frame, row
