"""An audit's numbers from its splits, then its report: :func:`compute_audit`
computes (metrics with intervals, risk table, epsilon lower bounds), :func:`write_audit`
renders and writes. The audit_report stage and :func:`diffcal.audit`
(:mod:`diffcal.reporting.audit_arrays`) both call them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.audit import (
    AUDIT_DELTA,
    epsilon_bounds,
    jaccard,
    ranks,
    risk_table,
    summary_with_intervals,
    top_k,
)
from diffcal.core.io import write_csv, write_parquet, write_text
from diffcal.reporting.audit_report import (
    attack_label,
    metrics_table,
    roc_figure,
    to_html,
    to_markdown,
)
from diffcal.stats.large_sample import LARGE_N
from diffcal.stats.privacy import clopper_pearson_lower, clopper_pearson_upper

#: Attacks drawn in the ROC figure, when present (the others are in the tables).
ROC_ATTACKS = (
    "loss_orig",
    "loss_cal",
    "loss_calf",
    "lira_offline",
    "lira_offline_global",
    "lira_online",
    "lira_online_global",
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
#: risk.parquet's top-k frequency and the report's overlaps use the top TOP_K members.
TOP_K = 100


@dataclass(frozen=True)
class AuditSplit:
    """One split of an audit: ``n`` evaluated samples."""

    sample_id: np.ndarray  #: (n,)
    is_member: np.ndarray  #: (n,) bool
    scores: Mapping[str, np.ndarray]  #: attack -> (n,), higher = more likely a member
    #: target accuracy on members / non-members (NaN: not given)
    accuracy: tuple[float, float] = (np.nan, np.nan)
    n_references: int = 0


@dataclass(frozen=True)
class AuditResult:
    """What an audit found: ``metrics`` (attack, metric, value, low, high,
    n_splits), ``risk`` (every member of every split), ``epsilon`` (every attack's
    bound, largest first: :func:`diffcal.attacks.audit.epsilon_bounds`)."""

    splits: Sequence[AuditSplit]
    metrics: pd.DataFrame
    risk: pd.DataFrame
    risk_attack: str
    epsilon: pd.DataFrame
    fpr_levels: Sequence[float]
    #: top-k overlap between splits and between attacks (:func:`top_overlap`)
    overlap: pd.DataFrame

    def write(self, directory: str | Path, *, title: str = "your model", what: str = "") -> Path:
        """Write the report into ``directory`` (report.md / .html, roc.png / .pdf,
        metrics.csv, risk.parquet), as the workflow does; returns report.html."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        files = {"md": "report.md", "html": "report.html", "png": "roc.png", "pdf": "roc.pdf"}
        out = {k: str(d / v) for k, v in files.items()}
        out |= {"metrics": str(d / "metrics.csv"), "risk": str(d / "risk.parquet")}
        write_audit(self, title=title, what=what or "An audit of scores.", out=out)
        return d / "report.html"


def compute_audit(
    splits: Sequence[AuditSplit],
    fpr_levels: Sequence[float],
    *,
    seeds: Sequence[int],
    n_boot: int = 1000,
    bound: Mapping[str, Any] | None = None,
    user_ids: np.ndarray | None = None,
) -> AuditResult:
    """Metrics with 95 % bootstrap intervals (``seeds``: one per split), the risk
    table (named by ``user_ids[sample_id]`` when given) and the epsilon bounds
    (``bound``: the ``privacy_bound`` config section)."""
    att0 = splits[0].scores
    pairs = [p for p in PAIRS if p[0] in att0 and p[1] in att0]
    metrics = summary_with_intervals(
        [(s.is_member, s.scores) for s in splits],
        fpr_levels,
        seeds=seeds,
        pairs=pairs,
        n_boot=n_boot,
    )
    risk_attack = next(a for a in RISK_ATTACKS if a in att0)
    # the TOP_K members the risk attack ranks highest, per split
    tops = [top_k(s.sample_id, s.is_member, s.scores[risk_attack], TOP_K) for s in splits]
    risk = _risk(splits, risk_attack, tops)
    if user_ids is not None:
        risk.insert(2, "row", risk["sample_id"].astype(np.int64))
        risk["sample_id"] = user_ids[risk["row"].to_numpy()]
    epsilon = epsilon_bounds(
        [(s.is_member, s.scores) for s in splits], strategy=bound, seed=int(seeds[0])
    )
    overlap = top_overlap(splits, risk_attack, tops)
    return AuditResult(splits, metrics, risk, risk_attack, epsilon, list(fpr_levels), overlap)


def _risk(splits: Sequence[AuditSplit], risk_attack: str, tops: Sequence[set]) -> pd.DataFrame:
    """risk.parquet: :func:`diffcal.attacks.audit.risk_table` of every split by
    ``risk_attack``, each member's rank under every attack (``rank_<attack>``) and
    the share of the splits it is a member of that put it among the :data:`TOP_K`
    members ``risk_attack`` ranks highest (``tops``, per split; ``top100_share``)."""
    frames = []
    for i, s in enumerate(splits):
        base = risk_table(s.sample_id, s.is_member, s.scores[risk_attack], s.scores["loss_orig"])
        per_attack = pd.DataFrame(
            {"sample_id": s.sample_id[s.is_member]}
            | {f"rank_{a}": ranks(v)[s.is_member] for a, v in s.scores.items()}
        )
        frame = base.merge(per_attack, on="sample_id", how="left")
        frames.append(frame.assign(split=np.int16(i), in_top=frame["sample_id"].isin(tops[i])))
    risk = pd.concat(frames, ignore_index=True)
    in_top = risk.pop("in_top").astype(np.float64)
    risk[f"top{TOP_K}_share"] = in_top.groupby(risk["sample_id"]).transform("mean")
    return risk[["split", *[c for c in risk.columns if c != "split"]]]


def top_overlap(
    splits: Sequence[AuditSplit], risk_attack: str, tops: Sequence[set]
) -> pd.DataFrame:
    """How stable the top members are: the Jaccard overlap of the members
    ranked highest by ``risk_attack`` in two splits (``tops``: per split, its
    :data:`TOP_K` members; mean over pairs of splits), and in split 0 between
    ``risk_attack`` and every other attack's top :data:`TOP_K`. Columns
    ``between``, ``jaccard``, ``pairs``."""
    rows = []
    if len(splits) > 1:
        pairs = [(i, j) for i in range(len(tops)) for j in range(i + 1, len(tops))]
        mean = float(np.mean([jaccard(tops[i], tops[j]) for i, j in pairs]))
        rows.append({"between": "splits", "jaccard": mean, "pairs": len(pairs)})
    s0 = splits[0]
    for a, v in s0.scores.items():
        if a != risk_attack:
            j = jaccard(tops[0], top_k(s0.sample_id, s0.is_member, v, TOP_K))
            rows.append({"between": f"{risk_attack} / {a}", "jaccard": j, "pairs": 1})
    return pd.DataFrame(rows, columns=["between", "jaccard", "pairs"])


def metrics_rows(result: AuditResult) -> pd.DataFrame:
    """metrics.csv: the metrics, then one ``epsilon_lb`` row per attack (value:
    the bound; no interval, it is a confidence bound itself)."""
    eps = result.epsilon
    rows = pd.DataFrame(
        {
            "attack": eps["attack"],
            "metric": "epsilon_lb",
            "value": eps["epsilon_lb"],
            "low": np.nan,
            "high": np.nan,
            "n_splits": len(result.splits),
        }
    )
    order = {a: i for i, a in enumerate(result.metrics["attack"].unique())}
    rows = rows.sort_values("attack", key=lambda c: c.map(order), kind="stable")
    return pd.concat([result.metrics, rows], ignore_index=True)


def _target_blocks(result: AuditResult) -> list:
    s0 = result.splits[0]
    table = pd.DataFrame(
        {
            "Train accuracy (members)": [_accuracy_cell(result.splits, 0)],
            "Test accuracy (non-members)": [_accuracy_cell(result.splits, 1)],
            "Members per split": [int(s0.is_member.sum())],
            "Non-members per split": [int((~s0.is_member).sum())],
            "Reference models": [s0.n_references],
        },
        index=pd.Index(["Target"], name=""),
    )
    note = (
        "Accuracies: mean over splits [95 % Clopper-Pearson interval of the correct "
        "predictions pooled over splits]. A target no better than chance on its own "
        "members is fed inputs it was not trained on (docs/audit.md: the encoding)."
    )
    return [("h2", "Target"), ("table", table), ("p", note)]


def _accuracy_cell(splits: Sequence[AuditSplit], group: int) -> str:
    """Mean accuracy of the members (``group`` 0) or non-members (1) over splits,
    with the exact binomial 95 % interval of the correct predictions pooled over
    the splits; "not given" without the target's predictions."""
    acc = np.array([s.accuracy[group] for s in splits], dtype=np.float64)
    if np.isnan(acc).any():
        return "not given"
    sizes = np.array([int((s.is_member if group == 0 else ~s.is_member).sum()) for s in splits])
    k, n = int(np.round(acc * sizes).sum()), int(sizes.sum())
    low, high = float(clopper_pearson_lower(k, n, 0.025)), float(clopper_pearson_upper(k, n, 0.025))
    return f"{acc.mean():.3f} [{low:.3f}, {high:.3f}]"


def _attack_blocks(result: AuditResult) -> list:
    fpr = result.fpr_levels
    levels = {"auc": "AUC", **{f"tpr_at_fpr_{f:g}": f"TPR at {f:g} FPR" for f in fpr}}
    summary = result.metrics
    main = summary[~summary["attack"].str.contains(" - ")]
    gain = summary[summary["attack"].str.contains(" - ")]
    n_non = min(int((~s.is_member).sum()) for s in result.splits)
    resolution = 1.0 / n_non
    below = [f"{f:g}" for f in fpr if f < resolution]
    blocks = [("h2", "Attacks"), ("table", metrics_table(main, levels))]
    if "lira_offline_global" in result.splits[0].scores:
        blocks.append(
            (
                "p",
                "LiRA is given twice: with each sample's own variance over the "
                "references, and with one variance for all samples ('fixed var.'), "
                "which its authors advise with few references (here "
                f"{result.splits[0].n_references}): a per-sample variance from a "
                "handful of values is noisy.",
            )
        )
    blocks.append(
        (
            "p",
            f"FPR resolution: with {n_non} non-members the smallest non-zero "
            f"false-positive rate is 1/{n_non} = {resolution:.2g}."
            + (
                f" TPR at FPR {', '.join(below)} is therefore TPR at FPR 0 (no false "
                "positive allowed) and says little."
                if below
                else ""
            ),
        )
    )
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
    return blocks


def _privacy_blocks(result: AuditResult) -> list:
    eps = result.epsilon
    best = eps.iloc[0]
    table = pd.DataFrame(
        {
            "epsilon >=": [f"{v:.3f}" for v in eps["epsilon_lb"]],
            "Threshold": [f"{v:.4g}" for v in eps["threshold"]],
            "FPR <=": [f"{v:.3g}" for v in eps["fpr_high"]],
            "FNR <=": [f"{v:.3g}" for v in eps["fnr_high"]],
            "Thresholds tried": eps["n_thresholds"].to_numpy(),
        },
        index=pd.Index([attack_label(a) for a in eps["attack"]], name="Attack"),
    )
    n = f"{int(best['n_members'])} members and {int(best['n_nonmembers'])} non-members"
    text = (
        f"If the target were trained with (epsilon, delta = {AUDIT_DELTA:g})-differential "
        f"privacy, these attacks could not do better than they did: with 95 % confidence "
        f"epsilon >= {best['epsilon_lb']:.3f} ({attack_label(best['attack'])}, at its "
        f"threshold {best['threshold']:.4g}, where the false-positive rate is at most "
        f"{best['fpr_high']:.3g} and the false-negative rate at most "
        f"{best['fnr_high']:.3g}; {n} of all splits). Each attack's bound is at "
        f"confidence 1 - {best['alpha']:.3g} (Bonferroni over the {len(eps)} attacks, "
        f"and over the thresholds each tries: strategy {best['strategy']}), so the "
        "largest holds at 95 % although it was picked after the fact. A bound of 0 "
        "means the attacks show no leak at this confidence, not that there is none."
    )
    return [("h2", "Privacy: a lower bound on epsilon"), ("p", text), ("table", table)]


def _risk_blocks(result: AuditResult) -> list:
    top = result.risk[result.risk["split"] == 0].head(TOP)
    label = attack_label(result.risk_attack)
    table = pd.DataFrame(
        {
            "Rank": top["rank"].to_numpy(),
            f"{label} score": [f"{v:.4g}" for v in top["score"]],
            "Flagged at FPR": [f"{v:.3g}" for v in top["fpr"]],
            "Loss Orig score": [f"{v:.4g}" for v in top["score_uncalibrated"]],
        },
        index=pd.Index(top["sample_id"].astype(str), name="Sample id"),
    )
    return [
        ("h2", f"Members most at risk (split 0, top {TOP})"),
        (
            "p",
            f"Ranked by {label} among all evaluated samples (rank 1 = "
            "most likely a member). 'Flagged at FPR': the share of non-members that score "
            "at least as high, i.e. the false-positive rate at which the attack flags "
            "this member. Every member of every split is in risk.parquet.",
        ),
        ("table", table),
        *_overlap_blocks(result),
    ]


def _overlap_blocks(result: AuditResult) -> list:
    ov = result.overlap
    if ov.empty:
        return []
    label = attack_label(result.risk_attack)
    names = [
        "another split (mean over pairs)"
        if b == "splits"
        else attack_label(b.split(" / ", 1)[1]) + " (split 0)"
        for b in ov["between"]
    ]
    table = pd.DataFrame(
        {f"Top-{TOP_K} overlap (Jaccard)": [f"{v:.2f}" for v in ov["jaccard"]]},
        index=pd.Index(names, name=f"{label} top {TOP_K} against"),
    )
    text = (
        f"How much to trust one member's rank: the overlap of the {TOP_K} members "
        f"{label} ranks highest with the top {TOP_K} of another split's models or of "
        "another attack (1 = the same members, 0 = none in common). risk.parquet "
        "gives every member's rank under every attack (rank_<attack>) and the share "
        f"of its splits that put it in the top {TOP_K} (top{TOP_K}_share)."
    )
    return [("h2", "How stable the ranking is"), ("p", text), ("table", table)]


def report_blocks(result: AuditResult, title: str, what: str, figure: str) -> list:
    """The report as blocks (:func:`diffcal.reporting.audit_report.to_markdown`);
    ``figure``: the ROC image's file name, beside the report."""
    intro = (
        f"{what} {len(result.splits)} split(s) of members and non-members; every number "
        "below is the mean over splits with a 95 % bootstrap interval (members and "
        "non-members resampled within each split; the models held fixed). Higher "
        "attack scores mean 'more likely a member'."
    )
    if max(len(s.is_member) for s in result.splits) > LARGE_N:
        intro += (
            f" Splits of more than {LARGE_N:,} samples: AUC intervals from DeLong's "
            "covariance, TPR intervals from a Poisson bootstrap of the samples that decide "
            "them (diffcal.stats.large_sample)."
        )
    assumes = (
        "What the audit assumes: members and non-members come from the same "
        "distribution, and the reference models were trained on data from it that "
        "excludes the audited samples (or, with an is_in column, say which they "
        "trained on)."
    )
    return [
        ("h1", f"Membership inference audit: {title}"),
        ("p", intro),
        *_target_blocks(result),
        *_attack_blocks(result),
        *_privacy_blocks(result),
        ("h2", "ROC"),
        ("img", (figure, f"Log-log ROC of {title}")),
        *_risk_blocks(result),
        ("p", assumes),
    ]


def write_audit(result: AuditResult, *, title: str, what: str, out: Mapping[str, str]) -> None:
    """Write the report (``out``: paths ``md``, ``html``, ``png``, ``pdf``,
    ``metrics``, ``risk``)."""
    write_csv(metrics_rows(result), out["metrics"])
    s0 = result.splits[0]
    roc = {a: s0.scores[a] for a in ROC_ATTACKS if a in s0.scores}
    roc_figure(s0.is_member, roc, out["png"], out["pdf"], title=f"{title}\nlog-log ROC, split 0")
    write_parquet(result.risk, out["risk"])
    blocks = report_blocks(result, title, what, Path(out["png"]).name)
    write_text(out["md"], to_markdown(blocks))
    write_text(out["html"], to_html(blocks, f"Audit: {title}"))
