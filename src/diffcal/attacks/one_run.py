"""The one-run privacy audit (Steinke, Nasr, Jagielski 2023) on canaries: the
draw, the canaries' scores and the table of guesses and bounds
(:func:`diffcal.stats.privacy.one_run_epsilon_lower_bound`). Pure numpy / pandas;
the training run is :mod:`diffcal.stages.train_canary`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def draw_canaries(nonmembers: np.ndarray, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` canaries drawn from ``nonmembers`` (n,) without replacement, in draw
    order, and their fair coins (m,) bool; both from ``seed``."""
    if not 2 <= m <= len(nonmembers):
        raise ValueError(f"one_run.canaries: need 2 <= m <= {len(nonmembers)} non-members, got {m}")
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.sort(nonmembers), size=m, replace=False)
    return ids, rng.random(m) < 0.5


def mislabel(y: np.ndarray, num_classes: int, seed: int) -> np.ndarray:
    """(m,) int64 labels, each drawn uniformly (seeded) from the ``num_classes - 1``
    classes other than its true label in ``y`` (m,): the mislabelled canaries of
    ML Privacy Meter's one-run audit, which a model can only fit by memorising."""
    if num_classes < 2:
        raise ValueError("one_run: mislabelled canaries need at least two classes")
    y = np.asarray(y, dtype=np.int64)
    shift = np.random.default_rng(seed).integers(1, num_classes, size=len(y))
    return (y + shift) % num_classes


def canary_scores(
    canaries: pd.DataFrame, scores: pd.DataFrame, split: int
) -> dict[str, np.ndarray]:
    """score name -> (m,) scores of the canaries (higher = more likely included):
    ``loss_orig`` = -loss; ``loss_cal`` = -(loss - mean loss of the split's scratch
    references on the canary): the canaries' ``ref_loss`` column where they have one
    (mislabelled canaries: the references' loss at the canary's label), else the
    variant's ``scores.parquet`` rows."""
    loss = canaries["loss"].to_numpy(np.float64)
    if "ref_loss" in canaries:
        return {"loss_orig": -loss, "loss_cal": -(loss - canaries["ref_loss"].to_numpy())}
    ref = scores[(scores["split"] == split) & (scores["model"] == "scratch")]
    if ref.empty:
        raise ValueError("one_run: the variant has no scratch reference to calibrate with")
    mean_ref = ref.groupby("sample_id")["loss"].mean()
    ids = canaries["sample_id"].to_numpy()
    missing = np.setdiff1d(ids, mean_ref.index.to_numpy())
    if len(missing):
        raise ValueError(f"one_run: {len(missing)} canaries have no reference loss")
    return {"loss_orig": -loss, "loss_cal": -(loss - mean_ref.loc[ids].to_numpy())}


def one_run_table(
    scores: Mapping[str, np.ndarray],
    included: np.ndarray,
    ms: Sequence[int],
    ks: Sequence[int],
    alpha: float = 0.05,
    delta: float | None = None,
) -> pd.DataFrame:
    """One row per (score, m, k) with 2k <= m: ``guesses``, ``correct`` and
    ``epsilon_lb`` (the 95 % bound alone) and ``epsilon_lb_any`` (at level
    alpha / number of (m, k) pairs: the largest of those may be reported as the
    score's bound, Bonferroni over the grid). With ``delta``, also
    ``epsilon_lb_delta`` and ``epsilon_lb_delta_any``: the same bounds in the
    (epsilon, ``delta``) form (m canaries). ``scores``: name -> (M,), ``included``
    (M,): the first m canaries of the draw are audited."""
    from diffcal.stats.privacy import one_run_epsilon_lower_bound, one_run_guesses

    grid = [(m, k) for m in ms for k in ks if 2 * k <= m and m <= len(included)]
    if not grid:
        raise ValueError(
            f"one_run: no (m, k) with 2k <= m <= {len(included)} in m={list(ms)}, k={list(ks)}"
        )
    rows = []
    for name, s in scores.items():
        for m, k in grid:
            r, v = one_run_guesses(s[:m], included[:m], k, k)
            row = {
                "score": name,
                "m": m,
                "k": k,
                "guesses": r,
                "correct": v,
                "epsilon_lb": one_run_epsilon_lower_bound(r, v, alpha),
                "epsilon_lb_any": one_run_epsilon_lower_bound(r, v, alpha / len(grid)),
            }
            if delta is not None:
                levels = {"epsilon_lb_delta": alpha, "epsilon_lb_delta_any": alpha / len(grid)}
                for col, level in levels.items():
                    row[col] = one_run_epsilon_lower_bound(r, v, level, delta=delta, m=m)
            rows.append(row)
    return pd.DataFrame(rows)


def one_run_threshold_bounds(
    scores: Mapping[str, np.ndarray], included: np.ndarray, delta: float | None = None
) -> pd.DataFrame:
    """One row per score: the one-run bound with guesses by threshold, Bonferroni over
    the ROC's upper-hull thresholds (:func:`diffcal.stats.bound_strategies.one_run_bonferroni`)
    on all ``M`` canaries, in the pure form (``epsilon_lb_pure``) and, with ``delta``,
    the (epsilon, delta) (``epsilon_lb_delta``) and f-DP (``epsilon_lb_fdp``) forms;
    each with the guesses, correct guesses and threshold it rests on, and the number
    of thresholds tried; ``included``: how many of the ``m`` canaries were.
    ``scores``: name -> (M,), ``included`` (M,)."""
    from diffcal.stats.bound_strategies import one_run_bonferroni

    y = np.asarray(included, dtype=bool)
    forms = (
        {"pure": {}}
        if delta is None
        else {
            "pure": {},
            "delta": {"delta": delta},
            "fdp": {"delta": delta, "fdp": True},
        }
    )
    rows = []
    for name, s in scores.items():
        row: dict = {"score": name, "m": len(y), "included": int(y.sum())}
        for form, kwargs in forms.items():
            eps, t, r, v, k = one_run_bonferroni(s, y, **kwargs)
            row.update(
                {
                    f"epsilon_lb_{form}": eps,
                    f"guesses_{form}": r,
                    f"correct_{form}": v,
                    f"threshold_{form}": t,
                }
            )
        rows.append({**row, "thresholds": k})
    return pd.DataFrame(rows)
