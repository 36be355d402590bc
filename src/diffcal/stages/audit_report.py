"""Stage ``audit_report``: the audit report of one dataset (or one audit of scores)
-> ``results/audit/<name>/``: ``report.md``, ``report.html``, ``roc.png`` / ``.pdf``
(log-log ROC of the first split), ``metrics.csv`` (every attack's AUC and TPR at
each FPR level, mean over splits, 95 % bootstrap interval), ``risk.parquet`` (every
member of every split: calibrated score, rank, the FPR at which it is flagged);
the report and metrics.csv carry every attack's lower bound on epsilon
(:func:`diffcal.attacks.audit.epsilon_bounds`). The work is
:mod:`diffcal.reporting.audit`'s.

Inputs: the attack_scores.parquet and scores.parquet files of every part (the
pipeline's, or those of :mod:`diffcal.stages.audit_scores`). When the scores hold
scratch references, the audit suite's attacks the files lack (offline LiRA with
per-sample and with fixed variance, from two references) are added from their
losses (the scratch references never trained on the audited samples).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks import registry
from diffcal.attacks.audit import score_attacks
from diffcal.core.seeds import derive_seed
from diffcal.reporting.audit import AuditSplit, compute_audit, write_audit

log = logging.getLogger("diffcal")


def _splits(attack_scores: Sequence[str], scores: Sequence[str]):
    """Per split: (sample ids, is_member, attack -> scores, target accuracy on
    members / non-members, number of scratch references). The references' losses
    are read only when the attack files lack an attack they give."""
    att = pd.concat([pd.read_parquet(p) for p in attack_scores], ignore_index=True)
    att = att[att["set"] == "eval"]
    tgt_all = _read_scores(scores, "target", ["split", "sample_id", "correct", "loss"])
    n_refs = _reference_counts(scores)
    skip = {"split", "set", "sample_id", "role", "is_member"}
    out, all_refs = [], None
    for t, part in att.groupby("split", sort=True):
        part = part.sort_values("sample_id")
        ids = part["sample_id"].to_numpy()
        member = part["is_member"].to_numpy(bool)
        cols = {c: part[c].to_numpy(np.float64) for c in part.columns if c not in skip}
        attacks = {c: v for c, v in cols.items() if np.isfinite(v).all()}
        dropped = sorted(set(cols) - set(attacks))
        if dropped:
            log.info("split %d: %s left out (not every sample attacked)", t, ", ".join(dropped))
        tgt = tgt_all[tgt_all["split"] == t].set_index("sample_id").loc[ids]
        m = int(n_refs.get(t, 0))
        if m and not set(_from_out_references(m)) <= set(attacks):
            # the audit suite's attacks the dataset's attack job did not run (LiRA),
            # from the scratch references' losses (they never trained on the samples)
            if all_refs is None:  # read once, for every split that needs them
                all_refs = _read_scores(scores, "scratch", ["split", "ref", "sample_id", "loss"])
            refs = all_refs[all_refs["split"] == t]
            refs = refs.pivot(index="ref", columns="sample_id", values="loss")
            more = score_attacks(
                tgt["loss"].to_numpy(), refs[ids].to_numpy(), np.zeros((m, len(ids)), bool)
            )
            attacks.update({k: v for k, v in more.items() if k not in attacks})
        correct = tgt["correct"].astype("boolean")
        acc = tuple(
            float(correct[k].astype(float).mean()) if correct[k].notna().all() else np.nan
            for k in (member, ~member)
        )
        out.append((ids, member, attacks, acc, m))
    return out


def _read_scores(scores: Sequence[str], model: str, columns: list[str]) -> pd.DataFrame:
    """The rows of ``model`` in every scores file, only ``columns``."""
    frames = [pd.read_parquet(p, columns=columns, filters=[("model", "==", model)]) for p in scores]
    return pd.concat(frames, ignore_index=True)


def _reference_counts(scores: Sequence[str]) -> pd.Series:
    """split -> number of scratch references in the scores files: from the row
    groups' statistics where each holds one model (an audit of scores writes them
    so: nothing read), else from the ``split`` and ``ref`` columns."""
    import pyarrow.parquet as pq

    pairs = set()
    for path in scores:
        meta = pq.ParquetFile(path).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        for g in range(meta.num_row_groups):
            stats = {n: meta.row_group(g).column(i).statistics for i, n in enumerate(names)}
            exact = [stats[c] for c in ("model", "split", "ref")]
            if not all(st is not None and st.has_min_max and st.min == st.max for st in exact):
                frame = _read_scores(scores, "scratch", ["split", "ref"])
                return frame.groupby("split")["ref"].nunique()
            if stats["model"].min == "scratch":
                pairs.add((int(stats["split"].min), int(stats["ref"].min)))
    frame = pd.DataFrame(sorted(pairs), columns=["split", "ref"])
    return frame.groupby("split")["ref"].nunique()


def _from_out_references(m: int) -> list[str]:
    """The audit suite's attacks that ``m`` references without IN samples and no
    population give (:func:`diffcal.attacks.registry.runs_on` on such outputs)."""
    none = np.zeros(0)
    o = registry.PoolOutputs(
        none, none, np.zeros((m, 0)), np.zeros((m, 0)), np.zeros((m, 0), bool), none, none
    )
    return [name for name, spec in registry.suite("audit").items() if registry.runs_on(spec, o)]


def run_audit_report(
    *,
    attack_scores: Sequence[str],
    scores: Sequence[str],
    name: str,
    title: str,
    what: str,
    fpr_levels: Sequence[float],
    root_seed: int,
    out_md: str,
    out_html: str,
    out_png: str,
    out_pdf: str,
    out_metrics: str,
    out_risk: str,
    n_boot: int = 1000,
    data: str | None = None,
    bound: Mapping[str, Any] | None = None,
) -> None:
    """``what``: one sentence saying what was audited (the entry point). ``data``:
    the dataset's data.npz; when it holds the user's ``ids``, the risk table and the
    report name samples by them (``row``: the row position the pipeline uses).
    ``bound``: the ``privacy_bound`` config section (the epsilon bounds)."""
    splits = [
        AuditSplit(ids, member, attacks, acc, n_refs)
        for ids, member, attacks, acc, n_refs in _splits(attack_scores, scores)
    ]
    result = compute_audit(
        splits,
        fpr_levels,
        seeds=[derive_seed(root_seed, "audit", name, i) for i in range(len(splits))],
        n_boot=n_boot,
        bound=bound,
        user_ids=_user_ids(data),
    )
    log.info("%d attacks on %d splits", result.metrics["attack"].nunique(), len(splits))
    best = result.epsilon.iloc[0]
    log.info("epsilon >= %.3f (%s)", best["epsilon_lb"], best["attack"])
    out = {"md": out_md, "html": out_html, "png": out_png, "pdf": out_pdf}
    write_audit(
        result, title=title, what=what, out={**out, "metrics": out_metrics, "risk": out_risk}
    )


def _user_ids(data: str | None) -> np.ndarray | None:
    """The ``ids`` array of a data.npz (read alone, not the features), or None."""
    if not data:
        return None
    with np.load(data, allow_pickle=False) as f:
        return f["ids"] if "ids" in f.files else None
