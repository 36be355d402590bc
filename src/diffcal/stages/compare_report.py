"""Stage ``compare_report``: the comparison's table (AUC and TPR at low FPR per
attack and reference budget, mean and 95 % interval over splits). Its log-log ROC
figure is the ``compare_figure`` stage's. See docs/comparison.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.compare import LABELS, fpr_column, models_trained
from diffcal.core.io import write_csv, write_text
from diffcal.reporting.roc_figure import first_split
from diffcal.reporting.tables import markdown_rows, summarise
from diffcal.stats.verdicts import paired_effect

METRIC_LABELS = {"auc": "AUC", "epsilon_lb": "epsilon >="}


def metric_label(metric: str) -> str:
    """``tpr_at_0.001`` -> ``TPR@0.1%FPR``; ``auc`` -> ``AUC``."""
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    level = float(metric.removeprefix("tpr_at_"))
    return f"TPR@{level * 100:g}%FPR"


def cell(row: pd.Series, percent: bool) -> str:
    """``0.612 [0.601, 0.623]`` (TPRs in percent)."""
    k = 100.0 if percent else 1.0
    d = 2 if percent else 3
    if not np.isfinite(row["ci_low"]):
        return f"{k * row['mean']:.{d}f}"
    return f"{k * row['mean']:.{d}f} [{k * row['ci_low']:.{d}f}, {k * row['ci_high']:.{d}f}]"


def run_compare_report(
    *,
    runs: Sequence[Mapping[str, Any]],
    attacks: Sequence[str],
    budgets: Sequence[int],
    fpr_levels: Sequence[float],
    csv: str,
    md: str,
    bound: Mapping[str, Any] | None = None,
) -> None:
    """``runs``: one dict per (dataset, variant) with ``dataset``, ``variant``,
    ``label`` and the part files ``metrics`` and ``scores`` (lists); ``bound``: the
    ``privacy_bound`` config section (how the epsilon bounds chose thresholds)."""
    frames = []
    for r in runs:
        m = pd.concat([pd.read_csv(p) for p in r["metrics"]], ignore_index=True)
        frames.append(m.assign(dataset=r["dataset"], variant=r["variant"], label=r["label"]))
    per_split = pd.concat(frames, ignore_index=True)
    keys = ["dataset", "variant", "label", "budget", "attack"]
    values = [c for c in per_split.columns if c not in (*keys, "split")]
    long = summarise(per_split, values, keys, spread="t95")
    write_csv(long, csv)

    top = max(budgets)
    metric_cols = ["auc", *(fpr_column(f) for f in fpr_levels)]
    if "epsilon_lb" in set(long["metric"]):
        metric_cols.append("epsilon_lb")
    out = [
        "# LiRA, RMIA and difficulty calibration at equal reference budgets",
        "",
        "Mean over splits and 95 % t-interval of the mean in brackets (clipped to [0, 1], "
        "an epsilon's at 0; "
        "none with one split); TPR in percent. "
        "M: pool references per split (about M/2 IN and M/2 OUT per candidate; offline "
        "attacks and the calibrated loss use the OUT ones).",
        "",
    ]
    for r in runs:
        s = long[(long["dataset"] == r["dataset"]) & (long["variant"] == r["variant"])]
        # its first split at the largest budget (the first attack's rows): its sizes
        first = first_split(r["scores"][0], top, attacks[:1])
        out += _run_head(r, s, first, attacks[0], top)
        out += _top_budget_table(s, attacks, top, metric_cols)
        out += [bound_note(bound), ""]
        if r.get("quantile_fit"):
            out += quantile_fit_lines(r["quantile_fit"]) + [""]
        for c in ("auc", fpr_column(0.001)) if 0.001 in fpr_levels else ("auc",):
            out += _budget_table(s, attacks, budgets, c)
    out += claims_section(per_split, runs, budgets, fpr_levels)
    write_text(md, "\n".join(out))


def _run_head(r, s: pd.DataFrame, first: pd.DataFrame, attack: str, top: int) -> list[str]:
    n_splits = int(s["n_splits"].max())
    n_cand = int((first["attack"] == attack).sum())
    n_out = int((~first.loc[first["attack"] == attack, "member"]).sum())
    return [
        f"## {r['label']}",
        "",
        f"{n_splits} split(s), {n_cand} candidates per split, {n_out} of them non-members: "
        f"the smallest non-zero FPR a split resolves is 1/{n_out} = {100 / n_out:.3g}%.",
        "",
        f"### All metrics at M = {top}",
        "",
    ]


def _top_budget_table(s, attacks, top: int, metric_cols) -> list[str]:
    at_top = s[s["budget"] == top]
    table = pd.DataFrame(
        {
            "Trains": [models_trained(a, top) for a in attacks],
            **{
                metric_label(c): [
                    cell(
                        at_top[(at_top["attack"] == a) & (at_top["metric"] == c)].iloc[0],
                        c.startswith("tpr_at_"),
                    )
                    for a in attacks
                ]
                for c in metric_cols
            },
        },
        index=pd.Index([LABELS.get(a, a) for a in attacks], name="Attack"),
    )
    return markdown_rows(table) + [""]


def _budget_table(s, attacks, budgets, c: str) -> list[str]:
    sc = s[s["metric"] == c]
    table = pd.DataFrame(
        {
            f"M={m}": [
                cell(sc[(sc["attack"] == a) & (sc["budget"] == m)].iloc[0], c.startswith("tpr_at_"))
                for a in attacks
            ]
            for m in budgets
        },
        index=pd.Index([LABELS.get(a, a) for a in attacks], name="Attack"),
    )
    return [f"### {metric_label(c)} against M", "", *markdown_rows(table), ""]


def bound_note(bound: Mapping[str, Any] | None) -> str:
    """The tables' note on ``epsilon >=`` and ``Trains``, naming how the bound
    chose its thresholds (the ``privacy_bound`` strategy)."""
    strategy = (bound or {}).get("strategy", "bonferroni")
    strategy = "bonferroni" if strategy == "auto" else strategy  # no selection samples here
    how = {
        "bonferroni": "every vertex of the ROC's convex hull, Bonferroni-corrected, all "
        "candidates counted",
        "split": "thresholds from a seeded half of the candidates, errors counted on the "
        "other half",
        "multi_split": "the lower median of many seeded splits into a selecting and a "
        "counting half, at alpha / 2",
    }[strategy]
    return (
        f"epsilon >=: 95 % lower bound on epsilon at delta 1e-5 ({how}; docs/auditing.md). "
        "Trains: models each attack trains besides the target (references of the "
        "target's architecture and recipe, or the quantile attack's regressor); "
        "their CPU-seconds: docs/comparison.md, `benchmarks/attack_cost.py`."
    )


#: Claims judged on the comparison: (who claims it, the claim, attack a, attack b,
#: budget "min" / "max"): the effect is a - b, TPR at the lowest FPR level resolved.
COMPARE_CLAIMS = [
    (
        "RMIA",
        "offline RMIA has more power than offline LiRA at low FPR with few references",
        "rmia_offline",
        "lira_offline",
        "min",
    ),
    (
        "RMIA",
        "online RMIA has more power than online LiRA at low FPR with few references",
        "rmia_online",
        "lira_online",
        "min",
    ),
    (
        "LiRA",
        "online LiRA beats the calibrated loss (Watson et al.) at low FPR",
        "lira_online",
        "calibrated_loss",
        "max",
    ),
    (
        "this paper",
        "the calibrated loss beats the uncalibrated loss at low FPR",
        "calibrated_loss",
        "loss",
        "max",
    ),
]


def claims_section(
    per_split: pd.DataFrame,
    runs: Sequence[Mapping[str, Any]],
    budgets: Sequence[int],
    fpr_levels: Sequence[float],
) -> list[str]:
    """Markdown lines: every claim of :data:`COMPARE_CLAIMS` on every run, as a
    paired effect over splits (TPR at 0.1 % FPR, or the lowest level given, of a
    minus b at the smallest / largest budget) with its 95 % t-interval and verdict
    (:mod:`diffcal.stats.verdicts`). ``per_split``: the runs' compare_metrics rows
    with ``dataset``, ``variant``, ``label``."""
    level = 0.001 if 0.001 in fpr_levels else min(fpr_levels)
    col = fpr_column(level)
    lines = [
        "## Claims judged on these runs",
        "",
        f"Effect: TPR@{level * 100:g}%FPR of the first attack minus the second's, in "
        "points of percent, paired by split; 95 % t-interval over splits. **holds**: "
        "the interval lies above 0; **contradicted**: below; **inconclusive**: "
        "otherwise (one split: the point).",
        "",
        "| Claim (by) | Dataset | M | Effect | Verdict |",
        "|---|---|---|---|---|",
    ]
    for who, claim, a, b, which in COMPARE_CLAIMS:
        m = min(budgets) if which == "min" else max(budgets)
        for r in runs:
            s = per_split[
                (per_split["dataset"] == r["dataset"])
                & (per_split["variant"] == r["variant"])
                & (per_split["budget"] == m)
            ]
            x = s[s["attack"] == a].set_index("split")[col]
            y = s[s["attack"] == b].set_index("split")[col]
            if x.empty or y.empty:
                continue
            e = paired_effect(100 * (x - y.reindex(x.index)).to_numpy())
            lines.append(f"| {claim} ({who}) | {r['label']} | {m} | {e.text(2)} | {e.verdict} |")
    return lines + [""]


def quantile_fit_lines(paths: Sequence[str]) -> list[str]:
    """One line on the quantile attack's regressor of a run: its size, the samples it
    fit and its held-out coverage (nominal: tau) over splits."""
    f = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    cov = f["coverage"]
    return [
        f"Quantile regression: an MLP ({int(f['inputs'].iloc[0])} inputs, 2 x "
        f"{int(f['hidden'].iloc[0])} hidden, {int(f['parameters'].iloc[0]):,} parameters), "
        f"{int(f['epochs'].min())}-{int(f['epochs'].max())} epochs (early stopping) on "
        f"{int(f['n_fit'].min()):,}-{int(f['n_fit'].max()):,} "
        f"population samples per split; coverage of its tau = {f['tau'].iloc[0]:g} quantile "
        f"on {int(f['n_holdout'].min()):,}+ held-out population samples: "
        f"{cov.min():.3f}-{cov.max():.3f} over {len(f)} split(s)."
    ]
