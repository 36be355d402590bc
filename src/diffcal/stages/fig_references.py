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
    plot_references(summary, title=title, max_k=max_k, out_png=out_png, out_pdf=out_pdf)


def plot_references(
    summary: pd.DataFrame, *, title: str, max_k: int, out_png: str, out_pdf: str
) -> None:
    """Figure 5 from its CSV (``summary``: variant, shadow_size, attack, k,
    auc_mean / _std, acc_mean / _std): AUC and accuracy against K, one colour per
    shadow-set size, solid for forgetting and dashed for scratch references; the
    legend sits right of the panels (inside it covered the lowest curve) and names
    the line styles."""
    from matplotlib.lines import Line2D

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 3.8))
    variants = list(dict.fromkeys(summary["variant"]))
    palette = plt.get_cmap("viridis")(np.linspace(0, 0.85, len(variants)))
    styles = {"loss_calf": "-", "loss_cal": "--"}
    handles = []
    for color, variant in zip(palette, variants, strict=True):
        size = int(summary.loc[summary["variant"] == variant, "shadow_size"].iloc[0])
        handles.append(Line2D([], [], color=color, marker="o", ms=3, label=f"{size} samples"))
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
                )
    handles += [
        Line2D(
            [],
            [],
            color="black",
            ls=style,
            label=f"{column_label(a)} ({'forgetting' if a == 'loss_calf' else 'scratch'})",
        )
        for a, style in styles.items()
    ]
    for ax, name in zip(axes, ("AUC", "Accuracy"), strict=True):
        ax.set(xlabel="Number of reference models K", ylabel=name)
        ax.set_xticks(range(1, max_k + 1))
    fig.legend(
        handles=handles,
        loc="center right",
        fontsize=8,
        title="shadow-set size / kind",
        title_fontsize=8,
    )
    fig.suptitle(f"{title}: calibrated loss with the first K references (mean ± std over splits)")
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    savefig(fig, out_png, out_pdf)
    plt.close(fig)
