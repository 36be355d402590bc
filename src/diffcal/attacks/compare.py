"""The LiRA / RMIA comparison (docs/comparison.md): attacks at a reference budget M
as functions of the per-sample outputs of the target and of a reference pool.

Pure numpy. Every attack in :data:`ATTACKS` maps a :class:`PoolOutputs` (the first
M pool references) to ``(n,)`` scores, higher = more likely a member.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks import metrics, registry
from diffcal.attacks.plugins import Plugin, outputs_frames, run_plugin
from diffcal.attacks.registry import PoolOutputs

Attack = Callable[..., np.ndarray]

#: name -> f(outputs, a=, gamma=): the attacks of the comparison
#: (:mod:`diffcal.attacks.registry`, suite ``compare``). Samples with no reference
#: of the kind an attack needs (budget M = 1) get the pooled statistics of that
#: kind (diffcal.attacks.reference, ``missing="global"``).
ATTACKS: dict[str, Attack] = {
    k: r.pool_fn for k, r in registry.suite("compare").items() if r.pool_fn is not None
}

#: Attacks whose scores come from their own rule rather than from the pool's
#: outputs; the same at every budget (they use no pool reference). Name -> what
#: they train.
EXTERNAL = {k: "regressor" for k, r in registry.suite("compare").items() if r.needs == "regressor"}

#: Display names (tables and figures).
LABELS = {k: r.label for k, r in registry.suite("compare").items()}


def models_trained(attack: str, budget: int) -> str:
    """What an attack trains besides the target, at reference budget ``budget``:
    ``"0"`` (the loss), ``"1 regressor"`` (the quantile attack), else ``str(M)``
    reference models of the target's architecture and recipe (a plugin sees the M
    references)."""
    if attack == "loss":
        return "0"
    if attack in EXTERNAL:
        return f"1 {EXTERNAL[attack]}"
    return str(budget)


def pool_outputs(scores: pd.DataFrame, membership: pd.DataFrame) -> tuple[np.ndarray, PoolOutputs]:
    """The arrays of one split from its rows of ``pool_scores.parquet`` and
    ``membership.parquet`` (see :mod:`diffcal.stages.score_pool` and
    :mod:`diffcal.stages.train_pool`). Returns the candidates' sample ids ``(n,)``
    (sorted) and their outputs."""

    def wide(rows: pd.DataFrame, col: str) -> pd.DataFrame:
        return rows.pivot(index="ref", columns="sample_id", values=col).sort_index()

    cand, pop = scores[~scores["population"]], scores[scores["population"]]
    tc = cand[cand["model"] == "target"].sort_values("sample_id")
    tp = pop[pop["model"] == "target"].sort_values("sample_id")
    rc, rp = cand[cand["model"] == "pool"], pop[pop["model"] == "pool"]
    ids = tc["sample_id"].to_numpy()
    loss = wide(rc, "loss")
    mem = membership.pivot(index="ref", columns="sample_id", values="is_in").sort_index()
    if not (
        np.array_equal(loss.columns, ids)
        and np.array_equal(mem.columns, ids)
        and np.array_equal(mem.index, loss.index)
    ):
        raise ValueError("pool scores and membership disagree on candidates or references")
    out = PoolOutputs(
        target_loss=tc["loss"].to_numpy(np.float64),
        target_stat=tc["lira_stat"].to_numpy(np.float64),
        ref_loss=loss.to_numpy(np.float64),
        ref_stat=wide(rc, "lira_stat").to_numpy(np.float64),
        is_in=mem.to_numpy(bool),
        target_loss_pop=tp["loss"].to_numpy(np.float64),
        ref_loss_pop=wide(rp, "loss")[tp["sample_id"].to_numpy()].to_numpy(np.float64),
    )
    return ids, out


def fpr_column(level: float) -> str:
    """Metric column of TPR at FPR ``level``: ``tpr_at_0.001``, ``tpr_at_0``."""
    return f"tpr_at_{level:g}"


#: delta of the comparison's epsilon lower bounds (below 1 / candidates everywhere).
BOUND_DELTA = 1e-5


def pool_attack_metrics(
    member: np.ndarray,
    score: np.ndarray,
    fpr_levels: Sequence[float],
    selection: np.ndarray | None = None,
    bound: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """AUC and TPR at each FPR level of one attack (``(n,)`` both); with ``bound``
    (the ``privacy_bound`` config section) also ``epsilon_lb``: its lower bound on
    epsilon at :data:`BOUND_DELTA`
    (:func:`diffcal.stats.bound_strategies.epsilon_bound`). ``selection`` (``(n,)``
    bool): the samples the ``split`` strategy chooses thresholds on (the others are
    counted); the other strategies count every sample (``seed``: their random
    splits)."""
    out = {"auc": metrics.auc(member, score)}
    for f in fpr_levels:
        out[fpr_column(f)] = metrics.tpr_at_fpr(member, score, f)
    if bound is not None:
        from diffcal.stats.bound_strategies import BoundStrategy, epsilon_bound

        st = BoundStrategy(**bound)
        if st.strategy == "split" and selection is not None:
            sel = np.asarray(selection, dtype=bool)
            b = epsilon_bound(
                score[~sel],
                member[~sel],
                delta=BOUND_DELTA,
                strategy=st,
                selection=(score[sel], member[sel]),
            )
        else:
            b = epsilon_bound(score, member, delta=BOUND_DELTA, strategy=st, seed=seed)
        out["epsilon_lb"] = b.epsilon
    return out


def selection_half(n: int, seed: int) -> np.ndarray:
    """``(n,)`` bool: a seeded random half of ``n`` candidates (threshold selection
    for the epsilon bound; the other half is counted)."""
    sel = np.zeros(n, dtype=bool)
    sel[np.random.default_rng(seed).permutation(n)[: n // 2]] = True
    return sel


def run_attacks(
    o: PoolOutputs,
    attacks: Sequence[str],
    budgets: Sequence[int],
    rmia_cfg: Mapping[str, float],
    external: Mapping[str, np.ndarray] | None = None,
    plugins: Sequence[Plugin] = (),
    ids: np.ndarray | None = None,
) -> dict[tuple[int, str], np.ndarray]:
    """(budget, attack) -> ``(n,)`` scores, for every budget and attack, then every
    plugin (:mod:`diffcal.attacks.plugins`; ``ids``: the candidates' sample ids it
    sees, default ``0..n-1``). Attacks of :data:`EXTERNAL` take their ``(n,)``
    scores from ``external`` (the same at every budget)."""
    external = external or {}
    unknown = sorted(set(attacks) - set(ATTACKS) - set(EXTERNAL))
    if unknown:
        raise ValueError(f"unknown attacks {unknown}; allowed: {sorted({*ATTACKS, *EXTERNAL})}")
    missing = sorted(a for a in attacks if a in EXTERNAL and a not in external)
    if missing:
        raise ValueError(f"no scores given for the attacks {missing}")
    n = len(o.target_loss)
    ids = np.arange(n) if ids is None else np.asarray(ids)
    out = {}
    for m in budgets:
        om = o.first(m)
        for a in attacks:
            if a in EXTERNAL:
                s = np.asarray(external[a], np.float64)
                if s.shape != (n,):
                    raise ValueError(f"{a}: scores of shape {s.shape}, expected ({n},)")
            else:
                s = ATTACKS[a](om, a=rmia_cfg["a"], gamma=rmia_cfg["gamma"])
                s = registry.oriented(registry.REGISTRY[a], s)
            out[m, a] = s
        if plugins:
            frames = outputs_frames(
                ids,
                {"loss": om.target_loss, "lira_stat": om.target_stat},
                {"pool": ({"loss": om.ref_loss, "lira_stat": om.ref_stat}, om.is_in)},
            )
            for p in plugins:
                out[m, p.name] = run_plugin(p, *frames)
    return out
