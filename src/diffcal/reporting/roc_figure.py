"""The comparison's log-log ROC figure (stage ``compare_figure``) and the rows it
and the comparison's table read from a part's ``compare_scores.parquet``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from diffcal.attacks.compare import LABELS
from diffcal.reporting.plotting import pyplot, savefig


def first_split(scores: str, budget: int, attacks: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows (split, attack, member, score) of a part's ``compare_scores.parquet``
    for its first split at ``budget``, of ``attacks`` only if given (filtered while
    reading: a part holds every budget and attack)."""
    filters = [("budget", "==", budget)]
    if attacks is not None:
        filters.append(("attack", "in", list(attacks)))
    sc = pd.read_parquet(scores, columns=["split", "attack", "member", "score"], filters=filters)
    return sc[sc["split"] == sc["split"].min()].reset_index(drop=True)


def line_style(attack: str) -> str:
    """Dashed: attacks that use OUT references only; dotted: no reference at all."""
    if "offline" in attack or attack == "calibrated_loss":
        return "--"
    return ":" if attack == "quantile" else "-"


def figure(runs, curves, attacks, budget: int, png: str, pdf: str) -> None:
    """Log-log ROC of every attack at ``budget``: ``curves[(dataset, variant)]``, the
    first split of each run (:func:`first_split`)."""
    import seaborn as sns

    plt = pyplot(theme=False)
    from sklearn.metrics import roc_curve

    colors = dict(zip(attacks, sns.color_palette("tab10", len(attacks)), strict=True))
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.0), squeeze=False)
    for ax, r in zip(axes[0], runs, strict=True):
        sc = curves[r["dataset"], r["variant"]]
        t0 = int(sc["split"].iloc[0])
        n_out = int((~sc[sc["attack"] == attacks[0]]["member"]).sum())
        for a in attacks:
            g = sc[sc["attack"] == a]
            fpr, tpr, _ = roc_curve(g["member"], g["score"])
            ax.loglog(
                np.maximum(fpr, 0.5 / n_out),
                np.maximum(tpr, 1e-5),
                label=LABELS.get(a, a),
                color=colors[a],
                lw=1.2,
                ls=line_style(a),
            )
        lo = 0.5 / n_out
        ax.plot([lo, 1], [lo, 1], color="grey", lw=0.8, ls=":")
        ax.set(
            xlim=(lo, 1), ylim=(lo, 1), xlabel="False positive rate", ylabel="True positive rate"
        )
        ax.set_title(f"{r['label']}\nM = {budget}, split {t0}", fontsize=10)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    savefig(fig, png, pdf)
    plt.close(fig)
