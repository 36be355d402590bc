"""The attacks and numbers of an audit report (:mod:`diffcal.stages.audit_report`)
and the attacks of an audit of scores (:mod:`diffcal.stages.audit_scores`).

Pure numpy. Shapes: ``n`` evaluated samples (members and non-members), ``m``
reference models. Higher score = more likely a member, in every attack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks import metrics, registry
from diffcal.attacks.registry import PoolOutputs
from diffcal.stats.bootstrap import bootstrap_means, percentile_intervals
from diffcal.stats.intervals import resampled_auc, weighted_tpr_at_fpr
from diffcal.stats.large_sample import LARGE_N, auc_replicates, tpr_replicates

#: Smallest loss used for LiRA's statistic (a float32 model can report a loss of
#: exactly 0, whose logit-scaled confidence is infinite).
MIN_LOSS = 1e-12
#: RMIA's offline interpolation parameter and threshold (the comparison's defaults).
RMIA_A, RMIA_GAMMA = 0.3, 1.0


def lira_stat_from_loss(loss: np.ndarray) -> np.ndarray:
    """LiRA's logit-scaled confidence ``log(p / (1 - p))`` of the true label from
    the cross-entropy ``loss = -log p``: ``-loss - log(1 - exp(-loss))``, computed
    with ``expm1`` (exact for small losses). ``(...,)`` -> ``(...,)`` float64.

    >>> float(lira_stat_from_loss(np.array([np.log(2.0)]))[0])  # p = 1/2
    0.0
    """
    loss = np.asarray(loss, dtype=np.float64)
    if loss.ndim == 2 and loss.size > LARGE_N:  # row by row: the same numbers, less memory
        out = np.empty_like(loss)
        for i, row in enumerate(loss):
            out[i] = lira_stat_from_loss(row)
        return out
    x = np.maximum(loss, MIN_LOSS)
    return -x - np.log(-np.expm1(-x))


def score_attacks(
    target_loss: np.ndarray,
    ref_loss: np.ndarray,
    is_in: np.ndarray,
    *,
    target_loss_pop: np.ndarray | None = None,
    ref_loss_pop: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every attack of the registry's ``audit`` suite that the references allow,
    from losses alone (:func:`diffcal.attacks.registry.runs_on`).

    Args:
        target_loss: ``(n,)`` the target's cross-entropy on the evaluated samples.
        ref_loss: ``(m, n)`` each reference's cross-entropy on them.
        is_in: ``(m, n)`` bool, reference j trained on sample i.
        target_loss_pop, ref_loss_pop: ``(k,)`` and ``(m, k)`` on population samples
            (RMIA runs only with them).

    Returns:
        attack -> ``(n,)``: ``loss_orig`` (eq. 1), ``loss_cal`` (eq. 5 with the OUT
        references; exactly the pipeline's ``calibrate`` when all are OUT),
        ``lira_offline`` (m >= 2), ``lira_online`` (IN and OUT references),
        ``rmia_offline`` / ``rmia_online`` (population samples; online with IN ones).
    """
    t = np.asarray(target_loss, dtype=np.float64)
    r = np.asarray(ref_loss, dtype=np.float64)
    is_in = np.asarray(is_in, dtype=bool)
    if r.ndim != 2 or r.shape[1] != len(t) or is_in.shape != r.shape:
        raise ValueError(f"ref_loss and is_in must be (m, {len(t)}), got {r.shape}, {is_in.shape}")
    pop = np.zeros(0) if target_loss_pop is None else np.asarray(target_loss_pop, np.float64)
    o = PoolOutputs(
        target_loss=t,
        target_stat=lira_stat_from_loss(t),
        ref_loss=r,
        ref_stat=lira_stat_from_loss(r),
        is_in=is_in,
        target_loss_pop=pop,
        ref_loss_pop=(
            np.zeros((len(r), 0)) if ref_loss_pop is None else np.asarray(ref_loss_pop, np.float64)
        ),
    )
    return {
        name: registry.oriented(spec, spec.pool_fn(o, a=RMIA_A, gamma=RMIA_GAMMA))
        for name, spec in registry.suite("audit").items()
        if registry.runs_on(spec, o)
    }


def metric_cells(
    is_member: np.ndarray, scores: Mapping[str, np.ndarray], fpr_levels: Sequence[float]
) -> dict[tuple[str, str], tuple[float, object]]:
    """One split's metrics: (attack, metric) -> (value, function of the split's
    :class:`~diffcal.stats.intervals.Resamples` -> ``(B,)`` values), for AUC and
    TPR at each FPR level."""
    cells = {}
    for name, s in scores.items():
        cells[(name, "auc")] = (
            metrics.auc(is_member, s),
            lambda r, s=s: resampled_auc(r, s),
        )
        for f in fpr_levels:
            cells[(name, f"tpr_at_fpr_{f:g}")] = (
                metrics.tpr_at_fpr(is_member, s, f),
                lambda r, s=s, f=f: weighted_tpr_at_fpr(is_member, s, f, r.dense()),
            )
    return cells


def summary_with_intervals(
    splits: Sequence[tuple[np.ndarray, Mapping[str, np.ndarray]]],
    fpr_levels: Sequence[float],
    *,
    seeds: Sequence[int],
    pairs: Sequence[tuple[str, str]] = (),
    n_boot: int = 1000,
) -> pd.DataFrame:
    """Metrics averaged over splits with 95 % bootstrap intervals (members and
    non-members resampled within each split: :func:`diffcal.stats.bootstrap.bootstrap_means`).

    Args:
        splits: per split, ``(is_member (n,) bool, attack -> (n,) scores)``.
        pairs: ``(calibrated, uncalibrated)`` attacks whose difference is reported
            too (attack ``"<cal> - <orig>"``), its interval from the same resamples.

    Returns:
        One row per (attack, metric): ``value`` (mean over splits), ``low``,
        ``high``, ``n_splits``.
    """
    values: dict[tuple[str, str], list[float]] = {}
    boot = []
    for is_member, scores in splits:
        cells = metric_cells(is_member, scores, fpr_levels)
        for cal, orig in pairs:
            for metric in dict.fromkeys(m for (a, m) in cells if a == cal):
                (vc, fc), (vo, fo) = cells[(cal, metric)], cells[(orig, metric)]
                cells[(f"{cal} - {orig}", metric)] = (
                    vc - vo,
                    lambda r, fc=fc, fo=fo: fc(r) - fo(r),
                )
        for key, (v, _) in cells.items():
            values.setdefault(key, []).append(v)
        boot.append((is_member, {f"{a}\t{m}": fn for (a, m), (_, fn) in cells.items()}))
    if max(len(y) for y, _ in splits) > LARGE_N:
        totals = _large_sample_totals(splits, fpr_levels, pairs, seeds, n_boot)
        intervals = percentile_intervals(totals, len(splits))
    else:
        intervals = bootstrap_means(boot, seeds=seeds, n_boot=n_boot)
    rows = []
    for (a, m), v in values.items():
        low, high = intervals[f"{a}\t{m}"]
        rows.append(
            {
                "attack": a,
                "metric": m,
                "value": float(np.mean(v)),
                "low": low,
                "high": high,
                "n_splits": len(v),
            }
        )
    return pd.DataFrame(rows)


def _large_sample_totals(splits, fpr_levels, pairs, seeds, n_boot) -> dict[str, np.ndarray]:
    """The replicates of :mod:`diffcal.stats.large_sample`, summed over splits, keyed
    as :func:`summary_with_intervals`'s cells (pairs: differences of the same
    replicates)."""
    totals: dict[str, np.ndarray] = {}
    for (is_member, scores), seed in zip(splits, seeds, strict=True):
        auc_rng, tpr_rng = (np.random.default_rng([int(seed), k]) for k in (1, 2))
        reps = {
            (a, "auc"): v for a, v in auc_replicates(is_member, scores, n_boot, auc_rng).items()
        }
        tprs = tpr_replicates(is_member, scores, list(fpr_levels), n_boot, tpr_rng)
        reps.update({(a, f"tpr_at_fpr_{f:g}"): v for (a, f), v in tprs.items()})
        for cal, orig in pairs:
            for _, m in [k for k in reps if k[0] == cal]:
                reps[(f"{cal} - {orig}", m)] = reps[(cal, m)] - reps[(orig, m)]
        for (a, m), v in reps.items():
            totals[f"{a}\t{m}"] = totals.get(f"{a}\t{m}", 0.0) + v
    return totals


def risk_table(
    sample_id: np.ndarray, is_member: np.ndarray, score: np.ndarray, baseline: np.ndarray
) -> pd.DataFrame:
    """Per-member risk of one split: each member's attack ``score`` and its ``rank``
    among all evaluated samples (1 = most likely a member), the share of
    non-members scoring at least as high (``fpr``: the false-positive rate at which
    the attack flags this member) and the uncalibrated ``baseline`` score. All
    ``(n,)``; rows sorted by rank, then sample id."""
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(is_member, dtype=bool)
    rank = ranks(s)
    non = np.sort(s[~y])
    fpr = (len(non) - np.searchsorted(non, s, side="left")) / len(non)
    frame = pd.DataFrame(
        {
            "sample_id": np.asarray(sample_id),
            "rank": rank,
            "score": s,
            "fpr": fpr,
            "score_uncalibrated": np.asarray(baseline, np.float64),
        }
    )
    return frame[y].sort_values(["rank", "sample_id"], kind="stable").reset_index(drop=True)


def ranks(scores: np.ndarray) -> np.ndarray:
    """``(n,)`` int64 rank of each score among all, 1 = highest (ties share the
    best rank).

    >>> ranks(np.array([0.2, 0.9, 0.2])).tolist()
    [2, 1, 2]
    """
    return pd.Series(-np.asarray(scores, np.float64)).rank(method="min").to_numpy(np.int64)


def top_k(sample_id: np.ndarray, is_member: np.ndarray, score: np.ndarray, k: int) -> set:
    """The ids of the ``k`` members ranked highest by ``score`` (ties broken by
    sample id). All ``(n,)``."""
    y = np.asarray(is_member, bool)
    order = np.lexsort((np.asarray(sample_id)[y], -np.asarray(score, np.float64)[y]))
    return set(np.asarray(sample_id)[y][order[:k]].tolist())


def jaccard(a: set, b: set) -> float:
    """``|a & b| / |a | b|`` (1.0 for two empty sets).

    >>> jaccard({1, 2, 3}, {2, 3, 4})
    0.5
    """
    return 1.0 if not (a or b) else len(a & b) / len(a | b)


#: delta of an audit's epsilon lower bounds (below 1 / samples for any audit here).
AUDIT_DELTA = 1e-5


def epsilon_bounds(
    splits: Sequence[tuple[np.ndarray, Mapping[str, np.ndarray]]],
    *,
    strategy: Mapping[str, Any] | None = None,
    delta: float = AUDIT_DELTA,
    seed: int = 0,
) -> pd.DataFrame:
    """Every attack's lower bound on epsilon at ``delta``, valid for all attacks at
    once: each is a (1 - alpha / K) bound (Bonferroni over the K attacks), so the
    largest is a (1 - alpha) bound although it was picked after the fact.

    Args:
        splits: per split, ``(is_member (n,) bool, attack -> (n,) scores)``; every
            split's samples count (each a trial of the membership test).
        strategy: the ``privacy_bound`` config section
            (:class:`diffcal.stats.bound_strategies.BoundStrategy`; default
            Bonferroni over the ROC hull's vertices at alpha 0.05).

    Returns:
        One row per attack, largest bound first: ``attack``, ``epsilon_lb``,
        ``threshold``, ``fpr_high`` / ``fnr_high`` (the rates' upper confidence
        bounds at it), ``n_members``, ``n_nonmembers``, ``n_thresholds`` (tried),
        ``alpha`` (each attack's share), ``delta``, ``strategy``.
    """
    from diffcal.stats.bound_strategies import BoundStrategy, epsilon_bound

    st = BoundStrategy(**(strategy or {}))
    names = list(splits[0][1])
    share = BoundStrategy(**{**st.__dict__, "alpha": st.alpha / len(names)})
    member = np.concatenate([np.asarray(m, bool) for m, _ in splits])
    rows = []
    for name in names:
        s = np.concatenate([np.asarray(a[name], np.float64) for _, a in splits])
        b = epsilon_bound(s, member, delta=delta, strategy=share, seed=seed)
        rows.append(
            {
                "attack": name,
                "epsilon_lb": b.epsilon,
                "threshold": b.threshold,
                "fpr_high": b.fpr_high,
                "fnr_high": b.fnr_high,
                "n_members": b.n_members,
                "n_nonmembers": b.n_nonmembers,
                "n_thresholds": b.n_thresholds,
                "alpha": share.alpha,
                "delta": delta,
                "strategy": st.strategy,
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values("epsilon_lb", ascending=False, kind="stable").reset_index(drop=True)
