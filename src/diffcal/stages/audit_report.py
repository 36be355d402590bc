"""Stage ``audit_report``: the audit report of one dataset (or one audit of scores)
-> ``results/audit/<name>/``: ``report.md``, ``report.html``, ``roc.png`` / ``.pdf``
(log-log ROC of the first split), ``metrics.csv`` (every attack's AUC and TPR at
each FPR level, mean over splits, 95 % bootstrap interval), ``risk.parquet`` (every
member of every split: calibrated score, rank, the FPR at which it is flagged).

Inputs: the attack_scores.parquet and scores.parquet files of every part (the
pipeline's, or those of :mod:`diffcal.stages.audit_scores`). When the scores hold
two or more scratch references and the attacks lack LiRA, offline LiRA is added
from their losses (the scratch references never trained on the audited samples).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.attacks.audit import risk_table, score_attacks, summary_with_intervals
from diffcal.core.io import write_csv, write_parquet, write_text
from diffcal.core.seeds import derive_seed
from diffcal.reporting.audit_report import (
    attack_label,
    metrics_table,
    roc_figure,
    to_html,
    to_markdown,
)

log = logging.getLogger("diffcal")

#: Attacks drawn in the ROC figure, when present (the others are in the tables).
ROC_ATTACKS = (
    "loss_orig",
    "loss_cal",
    "loss_calf",
    "lira_offline",
    "lira_online",
    "rmia_offline",
    "rmia_online",
)
#: The risk table ranks by the first of these present (the paper's calibrated loss).
RISK_ATTACKS = ("loss_cal", "loss_calf", "lira_online", "lira_offline", "loss_orig")
#: (calibrated, uncalibrated) pairs whose difference the report states.
PAIRS = tuple(
    (f"{s}_{c}", f"{s}_orig") for s in ("loss", "gn", "confidence") for c in ("cal", "calf")
)
TOP = 20


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
        if "lira_offline" not in attacks and len(refs) >= 2:
            attacks["lira_offline"] = score_attacks(
                tgt["loss"].to_numpy(),
                refs[ids].to_numpy(),
                np.zeros((len(refs), len(ids)), bool),
            )["lira_offline"]
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
) -> None:
    """``what``: one sentence saying what was audited (the entry point). ``data``:
    the dataset's data.npz; when it holds the user's ``ids``, the risk table and the
    report name samples by them (``row``: the row position the pipeline uses)."""
    splits = _splits(attack_scores, scores)
    n_non = [int((~m).sum()) for _, m, _, _, _ in splits]
    pairs = [p for p in PAIRS if p[0] in splits[0][2] and p[1] in splits[0][2]]
    summary = summary_with_intervals(
        [(m, a) for _, m, a, _, _ in splits],
        fpr_levels,
        seeds=[derive_seed(root_seed, "audit", name, i) for i in range(len(splits))],
        pairs=pairs,
        n_boot=n_boot,
    )
    write_csv(summary, out_metrics)
    log.info("%d attacks on %d splits", summary["attack"].nunique(), len(splits))

    _, member0, att0, _, _ = splits[0]
    roc = {a: att0[a] for a in ROC_ATTACKS if a in att0}
    roc_figure(member0, roc, out_png, out_pdf, title=f"{title}\nlog-log ROC, split 0")

    risk_attack = next(a for a in RISK_ATTACKS if a in att0)
    risk = pd.concat(
        [
            risk_table(ids, m, a[risk_attack], a["loss_orig"]).assign(split=np.int16(i))
            for i, (ids, m, a, _, _) in enumerate(splits)
        ],
        ignore_index=True,
    )
    risk = risk[["split", *[c for c in risk.columns if c != "split"]]]
    user_ids = _user_ids(data)
    if user_ids is not None:
        risk.insert(2, "row", risk["sample_id"].astype(np.int64))
        risk["sample_id"] = user_ids[risk["row"].to_numpy()]
    write_parquet(risk, out_risk)

    levels = {"auc": "AUC", **{f"tpr_at_fpr_{f:g}": f"TPR at {f:g} FPR" for f in fpr_levels}}
    main = summary[~summary["attack"].str.contains(" - ")]
    gain = summary[summary["attack"].str.contains(" - ")]
    acc = pd.DataFrame(
        {
            "Train accuracy (members)": [_mean_or_na([a[0] for *_, a, _ in splits])],
            "Test accuracy (non-members)": [_mean_or_na([a[1] for *_, a, _ in splits])],
            "Members per split": [int(splits[0][1].sum())],
            "Non-members per split": [n_non[0]],
            "Reference models": [splits[0][4]],
        },
        index=pd.Index(["Target"], name=""),
    )
    resolution = 1.0 / min(n_non)
    below = [f"{f:g}" for f in fpr_levels if f < resolution]
    blocks = [
        ("h1", f"Membership inference audit: {title}"),
        (
            "p",
            f"{what} {len(splits)} split(s) of members and non-members; every number "
            "below is the mean over splits with a 95 % bootstrap interval (members and "
            "non-members resampled within each split; the models held fixed). Higher "
            "attack scores mean 'more likely a member'.",
        ),
        ("h2", "Target"),
        ("table", acc),
        ("h2", "Attacks"),
        ("table", metrics_table(main, levels)),
        (
            "p",
            f"FPR resolution: with {min(n_non)} non-members the smallest non-zero "
            f"false-positive rate is 1/{min(n_non)} = {resolution:.2g}."
            + (
                f" TPR at FPR {', '.join(below)} is therefore TPR at FPR 0 (no false "
                "positive allowed) and says little."
                if below
                else ""
            ),
        ),
    ]
    if len(gain):
        blocks += [
            ("h2", "What calibration adds"),
            (
                "p",
                "Calibrated minus uncalibrated attack, same samples and resamples: an "
                "interval above 0 means the reference models' difficulty estimate "
                "helps the attack.",
            ),
            ("table", metrics_table(gain, levels)),
        ]
    top = risk[risk["split"] == 0].head(TOP)
    top_table = pd.DataFrame(
        {
            "Rank": top["rank"].to_numpy(),
            f"{attack_label(risk_attack)} score": [f"{v:.4g}" for v in top["score"]],
            "Flagged at FPR": [f"{v:.3g}" for v in top["fpr"]],
            "Loss Orig score": [f"{v:.4g}" for v in top["score_uncalibrated"]],
        },
        index=pd.Index(top["sample_id"].astype(str), name="Sample id"),
    )
    blocks += [
        ("h2", "ROC"),
        ("img", (Path(out_png).name, f"Log-log ROC of {title}")),
        ("h2", f"Members most at risk (split 0, top {TOP})"),
        (
            "p",
            f"Ranked by {attack_label(risk_attack)} among all evaluated samples (rank 1 = "
            "most likely a member). 'Flagged at FPR': the share of non-members that score "
            "at least as high, i.e. the false-positive rate at which the attack flags "
            "this member. Every member of every split is in risk.parquet.",
        ),
        ("table", top_table),
        (
            "p",
            "What the audit assumes: members and non-members come from the same "
            "distribution, and the reference models were trained on data from it that "
            "excludes the audited samples (or, with an is_in column, say which they "
            "trained on).",
        ),
    ]
    write_text(out_md, to_markdown(blocks))
    write_text(out_html, to_html(blocks, f"Audit: {title}"))


def _user_ids(data: str | None) -> np.ndarray | None:
    """The ``ids`` array of a data.npz (read alone, not the features), or None."""
    if not data:
        return None
    with np.load(data, allow_pickle=False) as f:
        return f["ids"] if "ids" in f.files else None


def _mean_or_na(values: Sequence[float]) -> str:
    v = np.asarray(values, dtype=np.float64)
    return "not given" if np.isnan(v).any() else f"{v.mean():.3f}"
