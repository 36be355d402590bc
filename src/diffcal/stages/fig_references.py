"""Stage ``fig_references``: Figure 5, calibrated-loss AUC against the number K of
references, at three shadow-set sizes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.attacks import ablations as ab
from diffcal.core.io import write_csv
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.reporting.ablation_data import loss_setting, mean_std_wide
from diffcal.reporting.labels import column_label
from diffcal.reporting.plotting import pyplot, savefig


def run_fig_references(
    *,
    scores: Mapping[str, Sequence[str]],
    splits: Mapping[str, Sequence[str]],
    size_fractions: Mapping[str, float],
    max_k: int,
    title: str,
    out_csv: str,
    out_png: str,
    out_pdf: str,
) -> None:
    """Calibrated loss attack with the first K = 1..max_k references of each kind,
    one line per variant (labelled with its references' training-set size)."""
    rows = []
    for variant, paths in scores.items():
        sps = {t: sp for p in splits[variant] for t, sp in read_splits(p).items()}
        for path in paths:
            sc_all = pd.read_parquet(path)
            for t, sc in sc_all.groupby("split", sort=True):
                sp = sps[int(t)]
                pool = len(ids_with_role(sp, "reference"))
                size = max(1, int(round(size_fractions[variant] * pool)))
                for kind, cal in (("scratch", "loss_cal"), ("forget", "loss_calf")):
                    em, et, er = loss_setting(sc, sp, "eval", kind)
                    tm, tt, tr = loss_setting(sc, sp, "threshold", kind)
                    for row in ab.k_curve(em, et, er, tm, tt, tr, range(1, max_k + 1)):
                        rows.append(
                            {
                                "variant": variant,
                                "shadow_size": size,
                                "split": int(t),
                                "attack": cal,
                                **row,
                            }
                        )
    per_split = pd.DataFrame(rows)
    summary = mean_std_wide(per_split, ["variant", "shadow_size", "attack", "k"], ["auc", "acc"])
    write_csv(summary, out_csv)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    palette = plt.get_cmap("viridis")(np.linspace(0, 0.85, len(scores)))
    styles = {"loss_calf": "-", "loss_cal": "--"}
    for color, variant in zip(palette, scores, strict=True):
        for attack, style in styles.items():
            s = summary[(summary["variant"] == variant) & (summary["attack"] == attack)]
            for ax, metric in zip(axes, ("auc", "acc"), strict=True):
                ax.errorbar(
                    s["k"],
                    s[f"{metric}_mean"],
                    yerr=s[f"{metric}_std"].fillna(0),
                    fmt=style,
                    marker="o",
                    ms=3,
                    capsize=2,
                    color=color,
                    label=f"{column_label(attack)}, {int(s['shadow_size'].iloc[0])} samples",
                )
    for ax, name in zip(axes, ("AUC", "Accuracy"), strict=True):
        ax.set(xlabel="Number of reference models K", ylabel=name)
        ax.set_xticks(range(1, max_k + 1))
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{title}: first K references (solid: forgetting, dashed: scratch)")
    fig.tight_layout()
    savefig(fig, out_png, out_pdf)
    plt.close(fig)
