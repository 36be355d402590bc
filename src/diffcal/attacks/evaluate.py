"""Every attack of one split, from the per-sample outputs of its models.

Two attack settings are built from the same per-sample outputs:

- ``eval``: the real attack. Target = ``target``, calibrated with the ``scratch``
  references (Cal) or the ``forget_target`` references (Cal-F), on the private
  samples (``member`` = members, ``nonmember`` = non-members).
- ``threshold``: the simulated attack used only to choose tau (paper, "Threshold
  selection"). Target = ``shadow`` (trained on ``shadow_in``), calibrated with the
  same ``scratch`` references or the ``forget_shadow`` references, on
  ``shadow_in`` (members) vs ``shadow_out`` (non-members).

attack_scores.parquet: one row per (split, set, sample): ``split`` (int16), ``set``
(string), ``sample_id``
(int32), ``role`` (string), ``is_member`` (bool), then one float64 column per
attack (``gap``, ``loss_orig``, ``loss_cal``, ``loss_calf``, ``gn_*``,
``confidence_*``). Higher = more likely a member, in every column.

With a label_only.parquet (stage ``label_only``), the label-only attack's columns
``boundary_orig`` / ``boundary_cal`` / ``boundary_calf`` are added: the boundary
distance of the target, minus the mean distance of the scratch (Cal) or forgetting
(Cal-F) references, each reference from its own attack run. They are NaN for the
samples the label-only stage did not attack; its metrics rows use the attacked
samples only (their ``n_members`` / ``n_nonmembers`` say how many).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks import metrics
from diffcal.attacks.calibration import GAP_THRESHOLD, LABEL_ONLY, attack_names
from diffcal.attacks.plugins import load_plugins, outputs_frames, run_plugin
from diffcal.attacks.registry import REGISTRY, oriented

OUTPUT_COLUMNS = ("loss", "grad_norm", "max_log_prob", "correct")


SETTINGS = {
    # set name: (target model, forgetting model, member role, non-member role)
    "eval": ("target", "forget_target", "member", "nonmember"),
    "threshold": ("shadow", "forget_shadow", "shadow_in", "shadow_out"),
}

log = logging.getLogger("diffcal")


def model_outputs(
    scores: pd.DataFrame, model: str, ids: np.ndarray, columns: Sequence[str] = OUTPUT_COLUMNS
) -> dict[str, np.ndarray]:
    """Outputs of all models named ``model`` on samples ``ids``: dict of ``(k, n)``
    arrays (k = number of such models), columns aligned with ``ids``."""
    rows = scores[scores["model"] == model]
    if rows.empty:
        raise ValueError(f"scores hold no rows for model {model!r}")
    out = {}
    for col in columns:
        wide = rows.pivot(index="ref", columns="sample_id", values=col).sort_index()
        missing = np.setdiff1d(ids, wide.columns.to_numpy())
        if len(missing):
            raise ValueError(f"model {model!r} was not scored on samples {missing[:5].tolist()}...")
        out[col] = wide[ids].to_numpy()
    return out


def compute_attacks(
    target: Mapping[str, np.ndarray],
    scratch: Mapping[str, np.ndarray],
    forget: Mapping[str, np.ndarray],
    *,
    scores: Sequence[str],
    calibrations: Sequence[str],
    gap: bool,
) -> dict[str, np.ndarray]:
    """Attack scores per sample: the registry's functions
    (:mod:`diffcal.attacks.registry`, suite ``paper``) of the chosen attacks.

    Args:
        target: outputs of the attacked model, each ``(1, n)``.
        scratch: outputs of the scratch references, each ``(k, n)``.
        forget: outputs of the forgetting references, each ``(k', n)``.

    Returns:
        attack name (see :func:`diffcal.attacks.calibration.attack_names`) -> ``(n,)`` scores.
    """
    names = attack_names(list(scores), list(calibrations), gap)
    return {
        name: oriented(REGISTRY[name], REGISTRY[name].fn(target, scratch, forget)) for name in names
    }


def attack_metrics(
    eval_member: np.ndarray,
    eval_score: np.ndarray,
    thr_member: np.ndarray,
    thr_score: np.ndarray,
    *,
    calibrated: bool,
    is_gap: bool,
    fpr_levels: Sequence[float],
    recall_levels: Sequence[float],
) -> dict[str, float]:
    """Metrics of one attack. ``*_member``: ``(n,)`` bool; ``*_score``: ``(n,)``."""
    if is_gap:
        tau, thr_acc = (
            GAP_THRESHOLD,
            metrics.accuracy_at_threshold(thr_member, thr_score, GAP_THRESHOLD),
        )
    else:
        tau, thr_acc = metrics.best_threshold(thr_member, thr_score)
    row = {
        "auc": metrics.auc(eval_member, eval_score),
        "acc": metrics.accuracy_at_threshold(eval_member, eval_score, tau),
        "tau": tau,
        "acc_threshold_set": thr_acc,
        "acc_tau0": (
            metrics.accuracy_at_threshold(eval_member, eval_score, 0.0) if calibrated else np.nan
        ),
        "acc_oracle_tau": metrics.best_threshold(eval_member, eval_score)[1],
    }
    rates = metrics.rates_at_threshold(eval_member, eval_score, tau)
    row.update({f"{k}_at_tau": v for k, v in rates.items()})
    for f in fpr_levels:
        row[f"tpr_at_fpr_{f:g}"] = metrics.tpr_at_fpr(eval_member, eval_score, f)
    for r in recall_levels:
        row[f"precision_at_recall_{r:g}"] = metrics.precision_at_recall(eval_member, eval_score, r)
    return row


def label_only_attacks(
    lo: pd.DataFrame, sp: pd.DataFrame, cfg: Mapping[str, Any]
) -> dict[str, tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
    """The label-only attack of one split: set name -> (sample ids, is_member,
    attack name -> ``(n,)`` scores). ``lo``: the split's rows of label_only.parquet."""
    out = {}
    for set_name, (tmodel, fmodel, in_role, out_role) in SETTINGS.items():
        attacked = lo.loc[lo["model"] == tmodel, "sample_id"].to_numpy()
        part = sp[sp["sample_id"].isin(attacked)].sort_values("sample_id")
        ids = part["sample_id"].to_numpy().astype(np.int64)
        is_member = (part["role"] == in_role).to_numpy()
        if not (part["role"].isin([in_role, out_role])).all():
            raise ValueError(
                f"label_only.parquet: {tmodel} was attacked on samples outside {in_role}/{out_role}"
            )
        att = compute_attacks(
            *(model_outputs(lo, m, ids, ["distance"]) for m in (tmodel, "scratch", fmodel)),
            scores=[LABEL_ONLY],
            calibrations=cfg["calibrations"],
            gap=False,
        )
        out[set_name] = (ids, is_member, att)
    return out


def _set_attacks(
    sc: pd.DataFrame, sp: pd.DataFrame, set_name: str, cfg: Mapping[str, Any], plugins
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One set's samples (``sample_id``, ``role``, ``is_member``, sorted by id) and
    its attack scores: the registry's chosen attacks, then the plugins'."""
    tmodel, fmodel, in_role, out_role = SETTINGS[set_name]
    part = sp[sp["role"].isin([in_role, out_role])].sort_values("sample_id")
    ids = part["sample_id"].to_numpy().astype(np.int64)
    outs = [model_outputs(sc, m, ids) for m in (tmodel, "scratch", fmodel)]
    att = compute_attacks(
        *outs, scores=cfg["scores"], calibrations=cfg["calibrations"], gap=cfg["gap"]
    )
    if plugins:
        frames = outputs_frames(
            ids, outs[0], {"scratch": (outs[1], None), "forget": (outs[2], None)}
        )
        for p in plugins:
            att[p.name] = run_plugin(p, *frames)
    samples = pd.DataFrame(
        {
            "sample_id": ids,
            "role": part["role"].to_numpy(),
            "is_member": (part["role"] == in_role).to_numpy(),
        }
    )
    return samples, att


def _metrics_row(name, evaluated, cfg, plugin: bool) -> dict[str, Any]:
    (em, ea), (tm, ta) = evaluated
    score, _, cal = (name, "", "none") if plugin else name.partition("_")
    row = {"attack": name, "score": score, "calibration": cal or "none"}
    row.update(
        attack_metrics(
            em,
            ea,
            tm,
            ta,
            calibrated=cal in ("cal", "calf"),
            is_gap=name == "gap",
            fpr_levels=cfg["fpr_levels"],
            recall_levels=cfg["recall_levels"],
        )
    )
    row["n_members"], row["n_nonmembers"] = int(em.sum()), int((~em).sum())
    return row


def _add_label_only(lab, frames, per_set, evaluated) -> list[str]:
    """Put the label-only attack's columns (``lab``: :func:`label_only_attacks`)
    into each set's frame (NaN where a sample was not attacked) and its
    (is_member, scores) into ``evaluated``; returns its attack names."""
    for frame, set_name in zip(frames, SETTINGS, strict=True):
        ids, _, att = lab[set_name]
        pos = np.searchsorted(per_set[set_name][2], ids)
        for name, values in att.items():
            col = np.full(len(frame), np.nan)
            col[pos] = values
            frame[name] = col
    for name in lab["eval"][2]:
        evaluated[name] = (
            (lab["eval"][1], lab["eval"][2][name]),
            (lab["threshold"][1], lab["threshold"][2][name]),
        )
    return list(lab["eval"][2])


def attack_split(
    sc: pd.DataFrame,
    sp: pd.DataFrame,
    cfg: Mapping[str, Any],
    *,
    split_index: int = 0,
    lo: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attack scores (one row per set and sample) and metrics (one row per attack)
    of one split: ``sc`` its rows of scores.parquet, ``sp`` its roles, ``lo`` its
    rows of label_only.parquet (None: no label-only attack). ``cfg["extra"]``: the
    attack plugins (:mod:`diffcal.attacks.plugins`), after the registry's attacks."""
    plugins = load_plugins(cfg.get("extra") or [])
    names = attack_names(list(cfg["scores"]), list(cfg["calibrations"]), bool(cfg["gap"]))
    names += [p.name for p in plugins]
    frames, per_set = [], {}
    for set_name in SETTINGS:
        samples, att = _set_attacks(sc, sp, set_name, cfg, plugins)
        ids, is_member = samples["sample_id"].to_numpy(), samples["is_member"].to_numpy()
        per_set[set_name] = (is_member, att, ids)
        frame = pd.DataFrame(
            {
                "set": pd.array([set_name] * len(ids), dtype="string"),
                "sample_id": ids.astype(np.int32),
                "role": pd.array(samples["role"].to_numpy(), dtype="string"),
                "is_member": is_member,
            }
        )
        for name in names:
            frame[name] = att[name]
        frames.append(frame)

    (em0, ea0, _), (tm0, ta0, _) = per_set["eval"], per_set["threshold"]
    evaluated = {name: ((em0, ea0[name]), (tm0, ta0[name])) for name in names}
    if lo is not None:
        lab = label_only_attacks(lo, sp, cfg)
        names = [*names, *_add_label_only(lab, frames, per_set, evaluated)]
    plugin_names = {p.name for p in plugins}
    rows = []
    for name in names:
        row = _metrics_row(name, evaluated[name], cfg, name in plugin_names)
        rows.append(row)
        log.info(
            "split %d %s: auc %.4f acc %.4f tau %.4g",
            split_index,
            name,
            row["auc"],
            row["acc"],
            row["tau"],
        )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)
