"""Stage ``figures``: the paper's Figure 1 (score histograms before/after calibration)
and Figure 2 (ROC and precision-recall curves with the selected threshold) of one
run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from diffcal.attacks import metrics
from diffcal.reporting.labels import CAL_LABELS, SCORE_LABELS, column_label
from diffcal.reporting.plotting import pyplot, savefig


def run_figures(
    *,
    attack_scores: str,
    metrics_csv: str,
    title: str,
    fig1: Sequence[str],
    fig2: Sequence[str],
    score: str = "loss",
    split: int = 0,
) -> None:
    """Figure 1 (histograms before/after calibration) and Figure 2 (ROC and
    precision-recall curves with the selected threshold) for ``score``.
    ``fig1``/``fig2``: (png path, pdf path); ``split``: the split drawn (the
    files hold every split of its part)."""
    df = pd.read_parquet(attack_scores)
    df = df[(df["set"] == "eval") & (df["split"] == split)]
    met = pd.read_csv(metrics_csv)
    met = met[met["split"] == split].set_index("attack")
    cals = [c for c in CAL_LABELS if f"{score}_{c}" in df.columns]
    _figure1(df, met, cals, score, title, fig1)
    _figure2(df, met, cals, score, title, fig2)


def _figure1(df, met, cals, score: str, title: str, out: Sequence[str]) -> None:
    import seaborn as sns

    plt = pyplot()
    member = np.where(df["is_member"], "member", "non-member")
    fig, axes = plt.subplots(1, len(cals), figsize=(4 * len(cals), 3.2), squeeze=False)
    for ax, cal in zip(axes[0], cals, strict=True):
        col = f"{score}_{cal}"
        values = df[col].to_numpy()
        # Scores pile up near 0 for well-fit samples: show the central 98% on a log
        # density axis, so the tails (where members and non-members differ) show.
        lo, hi = np.quantile(values, [0.01, 0.99])
        sns.histplot(
            x=np.clip(values, lo, hi),
            hue=member,
            hue_order=["member", "non-member"],
            bins=np.linspace(lo, hi, 41) if hi > lo else 40,
            stat="density",
            common_norm=False,
            element="step",
            ax=ax,
        )
        ax.set_yscale("log")
        if hi > lo:  # lowest visible density: half of one sample in one bin
            ax.set_ylim(bottom=0.5 / (len(values) * (hi - lo) / 40))
        ax.set_title(f"{column_label(col)} (AUC {met.loc[col, 'auc']:.3f})")
        ax.set_xlabel(f"{SCORE_LABELS.get(score, score)} score (1-99% quantile range)")
    fig.suptitle(f"{title}: {SCORE_LABELS.get(score, score)} score before/after calibration")
    fig.tight_layout()
    savefig(fig, *out)
    plt.close(fig)


def _figure2(df, met, cals, score: str, title: str, out: Sequence[str]) -> None:
    import seaborn as sns

    plt = pyplot()
    y = df["is_member"].to_numpy()
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(9, 3.8))
    palette = sns.color_palette(n_colors=len(cals))
    for color, cal in zip(palette, cals, strict=True):
        col = f"{score}_{cal}"
        s = df[col].to_numpy()
        fpr, tpr = metrics.roc_points(y, s)
        rec, prec = metrics.pr_points(y, s)
        lab = f"{column_label(col)} (AUC {met.loc[col, 'auc']:.3f})"
        ax_roc.plot(fpr, tpr, color=color, label=lab)
        ax_pr.plot(rec, prec, color=color, label=column_label(col))
        r = met.loc[col]
        ax_roc.plot([r["fpr_at_tau"]], [r["tpr_at_tau"]], "o", color="red", zorder=5)
        ax_pr.plot([r["tpr_at_tau"]], [r["precision_at_tau"]], "o", color="red", zorder=5)
    ax_roc.plot([0, 1], [0, 1], ":", color="grey")
    ax_roc.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC")
    ax_pr.axhline(0.5, ls=":", color="grey")
    ax_pr.set(xlabel="Recall", ylabel="Precision", title="Precision-recall", ylim=(0.3, 1.02))
    ax_roc.legend(loc="lower right", fontsize=7)
    ax_pr.legend(loc="upper right", fontsize=7)
    fig.suptitle(f"{title}: red dot = accuracy-optimal tau chosen on public data")
    fig.tight_layout()
    savefig(fig, *out)
    plt.close(fig)
