"""Stage ``lm_attack``: per-token scores of the target and its references -> every
attack's score per document, metrics with intervals, calibration's gain, the blind
baseline, and the report (results/lm/<name>/)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.attacks.lm_audit import (
    attack_metrics,
    auc_gain,
    blind_baseline,
    document_scores,
    scored_zlib,
)
from diffcal.core.io import atomic_path, write_csv, write_parquet

log = logging.getLogger("diffcal")


def _tokens(path: str, position: Mapping[int, int]) -> dict[str, np.ndarray]:
    t = pd.read_parquet(path)
    return {
        "doc": t["doc"].map(position).to_numpy(np.int64),
        "position": t["position"].to_numpy(np.int64),
        **{k: t[k].to_numpy(np.float64) for k in ("logp", "mu", "var")},
    }


def run_lm_attack(
    *,
    documents: str,
    target: str,
    references: Mapping[str, str],
    out_scores: str,
    out_metrics: str,
    out_gains: str,
    out_report: str,
    ks: Sequence[float],
    fpr_levels: Sequence[float],
    n_boot: int,
    seed: int,
    label: str,
) -> None:
    docs = pd.read_parquet(documents)
    audited = docs[docs["role"].isin(["member", "nonmember"])].reset_index(drop=True)
    position = {int(d): i for i, d in enumerate(audited["doc"])}
    is_member = (audited["role"] == "member").to_numpy()
    refs = {name: _tokens(path, position) for name, path in references.items()}
    tgt = _tokens(target, position)
    scores = document_scores(tgt, refs, scored_zlib(audited["text"].tolist(), tgt), ks)
    scores["blind"] = blind_baseline(audited["text"].tolist(), is_member, seed=seed)
    metrics = attack_metrics(scores, is_member, fprs=fpr_levels, n_boot=n_boot, seed=seed)
    own = [c for c in scores.columns if "-cal:" not in c and c not in ("zlib", "blind")]
    pairs = [(f"{s}-cal:{r}", s) for s in own for r in references]
    pairs += [(f"loss-cal:{r}", "zlib") for r in references]
    gains = auc_gain(scores, is_member, pairs, n_boot=n_boot, seed=seed)
    write_parquet(
        pd.concat([audited[["doc"]], pd.DataFrame({"is_member": is_member}), scores], axis=1),
        out_scores,
    )
    write_csv(metrics, out_metrics)
    write_csv(gains, out_gains)
    text = report(label, metrics, gains, audited, scores, is_member, fpr_levels)
    with atomic_path(out_report) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _cell(row: pd.Series, col: str) -> str:
    return f"{row[col]:.3f} [{row[col + '_low']:.3f}, {row[col + '_high']:.3f}]"


def report(label, metrics, gains, audited, scores, is_member, fpr_levels) -> str:
    """The audit's Markdown report: metrics, gains, the blind baseline, and the
    members the best calibrated attack ranks highest."""
    n_m, n_n = int(is_member.sum()), int((~is_member).sum())
    lines = [
        f"# Language-model audit: {label}",
        "",
        f"{n_m} members (the target fine-tuned on them), {n_n} non-members. Higher score = "
        "member. Intervals: 95 % percentile bootstrap over documents.",
        "",
        "| attack | AUC | " + " | ".join(f"TPR at {f:g} FPR" for f in fpr_levels) + " |",
        "|---|---|" + "---|" * len(fpr_levels),
    ]
    for _, r in metrics.iterrows():
        cells = [_cell(r, "auc"), *(_cell(r, f"tpr_at_fpr_{f:g}") for f in fpr_levels)]
        lines.append(f"| {r['attack']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "What calibration adds (AUC of the calibrated attack minus its baseline's, paired):",
        "",
    ]
    lines += ["| attack | baseline | AUC gain [95 %] |", "|---|---|---|"]
    lines += [
        f"| {g.attack} | {g.baseline} | {g.gain:+.3f} [{g.low:+.3f}, {g.high:+.3f}] |"
        for g in gains.itertuples()
    ]
    blind = metrics.set_index("attack").loc["blind"]
    verdict = (
        "its interval holds 0.5: the words alone do not tell members from non-members"
        if blind["auc_low"] <= 0.5 <= blind["auc_high"]
        else "**its interval excludes 0.5: members and non-members differ in their words "
        "(a distribution shift), so an attack's AUC is not all leakage**"
    )
    lines += [
        "",
        "Blind baseline (a bag-of-words classifier of member vs non-member text, trained "
        f"across folds, no model): AUC {_cell(blind, 'auc')}; {verdict}.",
    ]
    best = metrics[metrics["attack"].str.contains("-cal:")].sort_values("auc").iloc[-1]["attack"]
    top = scores[best].to_numpy().argsort()[::-1][:5]
    lines += [
        "",
        f"Documents {best} ranks highest:",
        "",
        "| doc | member | text |",
        "|---|---|---|",
    ]
    for i in top:
        text = audited["text"][i].replace("\n", " ").replace("|", "/")[:80]
        lines.append(f"| {audited['doc'][i]} | {bool(is_member[i])} | {text} |")
    return "\n".join(lines) + "\n"
