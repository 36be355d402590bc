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

from diffcal.attacks.audit import score_attacks
from diffcal.core.seeds import derive_seed
from diffcal.reporting.audit import AuditSplit, compute_audit, write_audit

log = logging.getLogger("diffcal")


def _splits(attack_scores: Sequence[str], scores: Sequence[str]):
    """Per split: (sample ids, is_member, attack -> scores, target accuracy on
    members / non-members, number of scratch references)."""
    att = pd.concat([pd.read_parquet(p) for p in attack_scores], ignore_index=True)
    att = att[att["set"] == "eval"]
    sc = pd.concat(
        [
            pd.read_parquet(p, columns=["split", "model", "ref", "sample_id", "correct", "loss"])
            for p in scores
        ],
        ignore_index=True,
    )
    skip = {"split", "set", "sample_id", "role", "is_member"}
    out = []
    for t, part in att.groupby("split", sort=True):
        part = part.sort_values("sample_id")
        ids = part["sample_id"].to_numpy()
        member = part["is_member"].to_numpy(bool)
        cols = {c: part[c].to_numpy(np.float64) for c in part.columns if c not in skip}
        attacks = {c: v for c, v in cols.items() if np.isfinite(v).all()}
        dropped = sorted(set(cols) - set(attacks))
        if dropped:
            log.info("split %d: %s left out (not every sample attacked)", t, ", ".join(dropped))
        s = sc[sc["split"] == t]
        tgt = s[s["model"] == "target"].set_index("sample_id").loc[ids]
        refs = s[s["model"] == "scratch"].pivot(index="ref", columns="sample_id", values="loss")
        if len(refs):
            # the audit suite's attacks the dataset's attack job did not run (LiRA),
            # from the scratch references' losses (they never trained on the samples)
            more = score_attacks(
                tgt["loss"].to_numpy(), refs[ids].to_numpy(), np.zeros((len(refs), len(ids)), bool)
            )
            attacks.update({k: v for k, v in more.items() if k not in attacks})
        correct = tgt["correct"].astype("boolean")
        acc = tuple(
            float(correct[m].astype(float).mean()) if correct[m].notna().all() else np.nan
            for m in (member, ~member)
        )
        out.append((ids, member, attacks, acc, len(refs)))
    return out


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
