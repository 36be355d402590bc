"""Stage ``fig_ratio``: Figure 4, attack metrics at member:non-member ratios (an
attack-stage subsampling that retrains nothing)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from diffcal.attacks import ablations as ab
from diffcal.core.io import write_csv
from diffcal.core.seeds import derive_seed
from diffcal.reporting.ablation_data import CURVE_ATTACKS, concat_files, mean_std_wide
from diffcal.reporting.labels import column_label
from diffcal.reporting.plotting import pyplot, savefig


def run_fig_ratio(
    *,
    attack_scores: Sequence[str],
    ratios: Sequence[float],
    root_seed: int,
    seed_key: str,
    title: str,
    out_csv: str,
    out_curves: str,
    out_png: str,
    out_pdf: str,
    recall_levels: Sequence[float] = (0.01, 0.1, 0.5),
) -> None:
    """Accuracy (two choices of tau) and precision-recall against the
    member:non-member ratio of the evaluation set. The members kept at ratio r
    are a seeded draw per split (the same for every attack)."""
    df = concat_files(attack_scores, pd.read_parquet)
    attacks = [a for a in ("loss_orig", "loss_cal", "loss_calf") if a in df.columns]
    per_split, curves = ratio_rows(df, attacks, ratios, root_seed, seed_key, recall_levels)
    values = [c for c in per_split.columns if c not in ("split", "attack", "ratio")]
    summary = mean_std_wide(per_split, ["ratio", "attack"], values)
    write_csv(summary, out_csv)
    curve = mean_std_wide(curves, ["ratio", "attack", "recall"], ["precision"])
    write_csv(curve, out_curves)
    plot_ratio(summary, curve, attacks, ratios, title, out_png, out_pdf)


def ratio_rows(df, attacks, ratios, root_seed, seed_key, recall_levels):
    """Per split, ratio and attack: the metrics (one row each) and the precision
    on the recall grid (one frame each, concatenated)."""
    rows, curves = [], []
    for t, g in df.groupby("split", sort=True):
        ev, th = g[g["set"] == "eval"], g[g["set"] == "threshold"]
        for r in ratios:
            seeds = {
                "seed_eval": derive_seed(root_seed, seed_key, int(t), "ratio_eval", f"{r:g}"),
                "seed_thr": derive_seed(root_seed, seed_key, int(t), "ratio_thr", f"{r:g}"),
            }
            keep = ab.subsample_members(ev["is_member"].to_numpy(), r, seed=seeds["seed_eval"])
            y = ev["is_member"].to_numpy()[keep]
            for a in attacks:
                row = ab.ratio_metrics(
                    ev["is_member"].to_numpy(),
                    ev[a].to_numpy(),
                    th["is_member"].to_numpy(),
                    th[a].to_numpy(),
                    r,
                    recall_levels=recall_levels,
                    **seeds,
                )
                rows.append({"split": int(t), "attack": a, **row})
                prec = ab.precision_on_grid(y, ev[a].to_numpy()[keep])
                curve = {"recall": ab.RECALL_GRID, "precision": prec}
                curves.append(
                    pd.DataFrame({"split": int(t), "attack": a, "ratio": float(r), **curve})
                )
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)


def plot_ratio(summary, curve, attacks, ratios, title, out_png, out_pdf) -> None:
    """Figure 4: accuracy against the ratio (left), precision-recall per ratio (right)."""
    plt = pyplot()
    fig, (ax_acc, ax_pr) = plt.subplots(1, 2, figsize=(10, 3.8))
    colors = dict(zip(attacks, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    _plot_accuracy(ax_acc, summary, attacks, ratios, colors)
    styles = {"loss_orig": "--", "loss_cal": "-", "loss_calf": "-."}
    palette = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(ratios)))
    for color, r in zip(palette, sorted(ratios, reverse=True), strict=True):
        for a in [a for a in CURVE_ATTACKS if a in attacks]:
            c = curve[(curve["ratio"] == float(r)) & (curve["attack"] == a)]
            ax_pr.plot(
                c["recall"],
                c["precision_mean"],
                styles[a],
                color=color,
                label=f"1:{1 / r:g} {column_label(a)}",
            )
    ax_pr.set(
        xlabel="Recall", ylabel="Precision", title="Precision-recall (dashed: Orig)", ylim=(0, 1.02)
    )
    ax_pr.legend(fontsize=6, ncol=2)
    fig.suptitle(f"{title}: member to non-member ratio (mean over splits)")
    fig.tight_layout()
    savefig(fig, out_png, out_pdf)
    plt.close(fig)


def _plot_accuracy(ax, summary, attacks, ratios, colors) -> None:
    """Accuracy with tau chosen at the ratio and at 1:1, and all-non-member's."""
    x = 1.0 / np.asarray(sorted(ratios, reverse=True))  # non-members per member
    for a in [a for a in CURVE_ATTACKS if a in attacks]:
        s = summary[summary["attack"] == a].set_index("ratio").loc[sorted(ratios, reverse=True)]
        ax.errorbar(
            x,
            s["acc_matched_tau_mean"],
            yerr=s["acc_matched_tau_std"].fillna(0),
            marker="o",
            capsize=3,
            color=colors[a],
            label=f"{column_label(a)}, tau at ratio",
        )
        ax.plot(
            x,
            s["acc_balanced_tau_mean"],
            "--",
            marker="x",
            color=colors[a],
            label=f"{column_label(a)}, tau at 1:1",
        )
    triv = summary[summary["attack"] == attacks[0]].set_index("ratio")
    ax.plot(
        x,
        triv.loc[sorted(ratios, reverse=True), "acc_all_nonmember_mean"],
        ":",
        color="grey",
        label="all non-member",
    )
    ax.set_xscale("log")
    ax.set_xticks(x, [f"1:{v:g}" for v in x])
    ax.set(xlabel="Member : non-member ratio", ylabel="Accuracy", title="Accuracy")
    ax.legend(fontsize=6)
