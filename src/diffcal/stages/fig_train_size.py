"""Stage ``fig_train_size``: Figure 3, attack AUC against the target's training-set size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from diffcal.core.io import write_csv
from diffcal.reporting.ablation_data import concat_files, mean_std_wide
from diffcal.reporting.labels import column_label
from diffcal.reporting.plotting import pyplot, savefig


def run_fig_train_size(
    *,
    metrics_files: Mapping[str, Sequence[str]],
    title: str,
    out_csv: str,
    out_png: str,
    out_pdf: str,
    attacks: Sequence[str] = ("gap", "loss_orig", "loss_cal", "loss_calf"),
) -> None:
    """AUC and accuracy against the number of target training samples (members)."""
    frames = []
    for variant, paths in metrics_files.items():
        m = concat_files(paths, pd.read_csv)
        frames.append(m[m["attack"].isin(attacks)].assign(variant=variant))
    df = pd.concat(frames, ignore_index=True)
    df = df.rename(columns={"n_members": "train_size"})
    summary = mean_std_wide(df, ["variant", "train_size", "attack"], ["auc", "acc"])
    summary = summary.sort_values(["train_size", "attack"], kind="stable")
    write_csv(summary, out_csv)
    plot_train_size(summary, attacks, title, out_png, out_pdf)


def plot_train_size(summary: pd.DataFrame, attacks, title: str, out_png: str, out_pdf: str):
    """Figure 3 from its CSV: AUC (left) and accuracy (right) per attack."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for attack in [a for a in attacks if a in set(summary["attack"])]:
        s = summary[summary["attack"] == attack]
        for ax, metric in zip(axes, ("auc", "acc"), strict=True):
            ax.errorbar(
                s["train_size"],
                s[f"{metric}_mean"],
                yerr=s[f"{metric}_std"].fillna(0),
                marker="o",
                capsize=3,
                label=column_label(attack),
            )
    for ax, name in zip(axes, ("AUC", "Accuracy"), strict=True):
        ax.set_xscale("log")
        ax.set(xlabel="Target training-set size (members)", ylabel=name)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{title}: attack vs training-set size (mean ± std over splits)")
    fig.tight_layout()
    savefig(fig, out_png, out_pdf)
    plt.close(fig)
