"""Stage ``fig_dp``: Figure 6, attacks on DP-SGD targets at several epsilon."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.attacks import ablations as ab
from diffcal.attacks import metrics
from diffcal.core.io import write_csv
from diffcal.core.seeds import derive_seed
from diffcal.reporting.ablation_data import CURVE_ATTACKS, concat_files, dp_info, mean_std_wide
from diffcal.reporting.labels import column_label
from diffcal.reporting.plotting import pyplot, savefig
from diffcal.stats.bound_strategies import BoundStrategy, epsilon_bound

#: Attacks whose empirical epsilon is reported (the figure draws CURVE_ATTACKS).
BOUND_ATTACKS = ("loss_orig", "loss_cal", "loss_calf")


def run_fig_dp(
    *,
    attack_scores: Mapping[str, Sequence[str]],
    metrics_files: Mapping[str, Sequence[str]],
    targets: Mapping[str, Sequence[str]],
    title: str,
    out_csv: str,
    out_curves: str,
    out_png: str,
    out_pdf: str,
    out_tradeoff_png: str | None = None,
    out_tradeoff_pdf: str | None = None,
    fpr_levels: Sequence[float] = (0.01, 0.001),
    bound: Mapping[str, object] | None = None,
    root_seed: int = 0,
) -> None:
    """ROC and precision-recall of loss Orig vs Cal per DP variant, the undefended
    variants (no epsilon) dotted. ``targets``: variant -> target.pt files.

    The CSV gives, per variant and attack (loss Orig, Cal, Cal-F), the requested
    epsilon, the epsilon the RDP accountant says was spent (``epsilon_spent``),
    Opacus' PRV accountant's figure for the same noise, sampling rate and steps
    (``epsilon_prv``, tighter), and the 95 % lower bound an attack shows
    (``epsilon_lb``, :func:`diffcal.stats.bound_strategies.epsilon_bound` by the
    ``bound`` strategy, the ``privacy_bound`` config section; ``split`` chooses its
    thresholds on the shadow's threshold-selection samples, random splits are
    seeded from ``root_seed``, the variant and the split) with its operating point
    (``epsilon_lb_fpr_high`` / ``_fnr_high``: the rates' upper bounds at its
    threshold), the thresholds it paid for (``epsilon_lb_thresholds``) and the
    evaluation samples it rests on; means and stds over splits."""
    strategy = BoundStrategy(**(bound or {}))
    rows, curves = [], []
    for variant, paths in attack_scores.items():
        r, c = _variant_rows(
            variant,
            paths,
            metrics_files[variant],
            targets[variant],
            strategy,
            root_seed,
            fpr_levels,
        )
        rows += r
        curves += c
    summary, roc, pr = _summaries(pd.DataFrame(rows), pd.concat(curves, ignore_index=True))
    write_csv(summary, out_csv)
    write_csv(pd.concat([roc, pr], ignore_index=True), out_curves)
    plot_dp(summary, roc, pr, title=title, out_png=out_png, out_pdf=out_pdf)
    if out_tradeoff_png:
        plot_tradeoff(summary, roc, title=title, out_png=out_tradeoff_png, out_pdf=out_tradeoff_pdf)


def _summaries(per_split: pd.DataFrame, cur: pd.DataFrame):
    """Means and stds over splits: the rows of ``fig6_dp.csv`` (by variant, delta
    and attack; highest requested epsilon first), the ROC and the PR curves."""
    keys = ("variant", "delta", "split", "attack")
    values = [c for c in per_split.columns if c not in keys]
    summary = mean_std_wide(per_split, ["variant", "delta", "attack"], values)
    summary = summary.sort_values(
        ["epsilon_mean", "attack"], ascending=[False, True], kind="stable"
    )
    roc = mean_std_wide(cur.dropna(subset=["fpr"]), ["variant", "attack", "fpr"], ["tpr"])
    pr = mean_std_wide(
        cur.dropna(subset=["recall"]), ["variant", "attack", "recall"], ["precision"]
    )
    return summary, roc, pr


def _variant_rows(variant, paths, metrics_paths, target_paths, strategy, root_seed, fpr_levels):
    """One DP variant's rows (one per split and attack: accountants, metrics and
    bound) and its curves (:func:`_curves`, of CURVE_ATTACKS)."""
    info = dp_info(target_paths).set_index("split")
    met = concat_files(metrics_paths, pd.read_csv).set_index(["split", "attack"])
    df = concat_files(paths, pd.read_parquet)
    rows, curves = [], []
    for t, g in df.groupby("split", sort=True):
        ev, sel = g[g["set"] == "eval"], g[g["set"] == "threshold"]
        split_info = info.loc[int(t)].to_dict()
        delta = split_info.pop("delta")
        for a in [a for a in BOUND_ATTACKS if a in ev.columns]:
            seed = derive_seed(root_seed, variant, int(t), a, "bound")
            row = _row(ev, sel, a, met.loc[(int(t), a)], delta, strategy, seed, fpr_levels)
            key = {"variant": variant, "split": int(t), "attack": a}
            rows.append({**key, "delta": delta, **split_info, **row})
            if a in CURVE_ATTACKS:
                curves += _curves(key, ev["is_member"].to_numpy(), ev[a].to_numpy())
    return rows, curves


def _row(ev, sel, a, m, delta, strategy, seed, fpr_levels) -> dict:
    """One split's metrics of attack ``a`` and its epsilon lower bound (thresholds
    chosen on ``sel``, the threshold-selection samples, where the strategy needs)."""
    y, s = ev["is_member"].to_numpy(), ev[a].to_numpy()
    bound_lb = epsilon_bound(
        s,
        y,
        delta=delta,
        strategy=strategy,
        selection=(sel[a].to_numpy(), sel["is_member"].to_numpy()),
        seed=seed,
    )
    return {
        "auc": m["auc"],
        "acc": m["acc"],
        **{f"tpr_at_fpr_{f:g}": metrics.tpr_at_fpr(y, s, f) for f in fpr_levels},
        "avg_precision": ab.average_precision(y, s),
        "epsilon_lb": bound_lb.epsilon,
        "epsilon_lb_fpr_high": bound_lb.fpr_high,
        "epsilon_lb_fnr_high": bound_lb.fnr_high,
        "epsilon_lb_thresholds": bound_lb.n_thresholds,
        "n_eval_members": bound_lb.n_members,
        "n_eval_nonmembers": bound_lb.n_nonmembers,
    }


def _curves(key: dict, y: np.ndarray, s: np.ndarray) -> list[pd.DataFrame]:
    """The ROC (on the FPR grid) and the precision-recall curve of one split."""
    return [
        pd.DataFrame({**key, "fpr": ab.FPR_GRID, "tpr": ab.tpr_on_grid(y, s)}),
        pd.DataFrame({**key, "recall": ab.RECALL_GRID, "precision": ab.precision_on_grid(y, s)}),
    ]


#: Floor of the log-log ROC axes: a mean TPR (or FPR) of 0 is drawn there.
LOG_FLOOR = 1e-4


def plot_dp(
    summary: pd.DataFrame,
    roc: pd.DataFrame,
    pr: pd.DataFrame,
    *,
    title: str,
    out_png: str,
    out_pdf: str,
) -> None:
    """Figure 6 from its CSVs (``summary``: fig6_dp.csv; ``roc`` / ``pr``: the rows of
    fig6_curves.csv with an ``fpr`` / a ``recall``): per DP variant, the log-log ROC
    and the precision-recall curve of loss Orig and Cal, the undefended variants
    dotted. A mean TPR of 0 cannot sit on a log axis: it is drawn at the axis floor
    with a down-pointing marker, and the panel says so."""
    eps = summary.groupby("variant", sort=False)["epsilon_mean"].first()
    private = [v for v in eps.index if np.isfinite(eps[v])]
    private.sort(key=lambda v: -eps[v])
    undefended = [v for v in eps.index if not np.isfinite(eps[v])]
    plt = pyplot()
    fig, axes = plt.subplots(2, len(private), figsize=(3.6 * len(private), 7.0), squeeze=False)
    for col, v in enumerate(private):
        _plot_variant(axes[0, col], axes[1, col], v, eps[v], undefended, summary, roc, pr)
    fig.suptitle(f"{title}: DP-SGD targets, loss Orig vs Cal (dotted: undefended)")
    fig.tight_layout()
    savefig(fig, out_png, out_pdf)
    plt.close(fig)


def _plot_variant(ax_roc, ax_pr, v, epsilon, undefended, summary, roc, pr) -> None:
    """One column of Figure 6: variant ``v``'s curves, the undefended ones dotted."""
    colors = {"loss_orig": "tab:blue", "loss_cal": "tab:orange"}
    zeros = False
    for vv, style in [(v, "-")] + [(u, ":") for u in undefended]:
        for a, color in colors.items():
            r = roc[(roc["variant"] == vv) & (roc["attack"] == a)]
            p = pr[(pr["variant"] == vv) & (pr["attack"] == a)]
            auc = summary[(summary["variant"] == vv) & (summary["attack"] == a)]["auc_mean"]
            tag = " undefended" if style == ":" else ""
            lab = f"{column_label(a)}{tag} (AUC {float(auc.iloc[0]):.3f})"
            fpr, tpr = r["fpr"].clip(lower=LOG_FLOOR), r["tpr_mean"]
            ax_roc.plot(fpr, tpr.clip(lower=LOG_FLOOR), style, color=color, label=lab)
            zero = (tpr <= 0).to_numpy()
            if zero.any():
                zeros = True
                ax_roc.plot(
                    fpr[zero],
                    np.full(zero.sum(), LOG_FLOOR),
                    "v",
                    color=color,
                    ms=3,
                    markevery=max(1, int(zero.sum()) // 8),
                )
            ax_pr.plot(p["recall"], p["precision_mean"], style, color=color)
    ax_roc.plot([LOG_FLOOR, 1], [LOG_FLOOR, 1], color="grey", lw=0.5)
    ax_roc.set(
        xscale="log",
        yscale="log",
        xlim=(LOG_FLOOR, 1),
        ylim=(LOG_FLOOR * 0.8, 1.05),
        xlabel="False positive rate",
        ylabel="True positive rate",
        title=f"epsilon = {epsilon:g}",
    )
    if zeros:
        ax_roc.text(
            0.98,
            0.08,
            f"\u25bc mean TPR 0, drawn at {LOG_FLOOR:g}",
            ha="right",
            transform=ax_roc.transAxes,
            fontsize=7,
        )
    ax_pr.set(xlabel="Recall", ylabel="Precision", ylim=(0.3, 1.02))
    ax_roc.legend(fontsize=7.5, loc="upper left")


def promised_epsilon(row: pd.Series) -> tuple[float, str]:
    """The tightest epsilon the accountants give a DP variant's row of
    ``fig6_dp.csv`` (mean over splits): PRV where computed, else RDP; and which."""
    if np.isfinite(row["epsilon_prv_mean"]):
        return float(row["epsilon_prv_mean"]), "PRV"
    return float(row["epsilon_spent_mean"]), "RDP"


def plot_tradeoff(
    summary: pd.DataFrame, roc: pd.DataFrame, *, title: str, out_png: str, out_pdf: str
) -> None:
    """One panel per DP variant: the trade-off (FPR, FNR = 1 - mean TPR) that loss
    Orig and Cal reach, against the curves the accountant promises: the (epsilon,
    delta)-DP region's edge at the tightest accountant epsilon
    (:func:`promised_epsilon`) and the Gaussian (mu-GDP) curve that meets the same
    (epsilon, delta) (:mod:`diffcal.stats.tradeoff`). An attack below a promised
    curve would refute it; the gap above it is what the promise leaves unused."""
    from diffcal.stats.tradeoff import dp_tradeoff, gdp_mu, gdp_tradeoff

    first = summary.groupby("variant", sort=False).first()
    private = sorted(
        (v for v in first.index if np.isfinite(first.loc[v, "epsilon_mean"])),
        key=lambda v: -first.loc[v, "epsilon_mean"],
    )
    alpha = np.linspace(0.0, 1.0, 401)
    plt = pyplot()
    fig, axes = plt.subplots(1, len(private), figsize=(3.4 * len(private), 3.6), squeeze=False)
    for ax, v in zip(axes[0], private, strict=True):
        eps, accountant = promised_epsilon(first.loc[v])
        delta = float(first.loc[v, "delta"])
        mu = gdp_mu(eps, delta)
        ax.plot(
            alpha,
            dp_tradeoff(alpha, eps, delta),
            color="k",
            lw=1.2,
            label=f"({eps:.3g}, {delta:g})-DP ({accountant})",
        )
        ax.plot(alpha, gdp_tradeoff(alpha, mu), "--", color="grey", label=f"{mu:.3g}-GDP")
        for a, color in {"loss_orig": "tab:blue", "loss_cal": "tab:orange"}.items():
            r = roc[(roc["variant"] == v) & (roc["attack"] == a)]
            ax.plot(r["fpr"], 1.0 - r["tpr_mean"], color=color, label=column_label(a))
        ax.plot([0, 1], [1, 0], color="grey", lw=0.5)
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="False positive rate",
            ylabel="False negative rate",
            title=f"epsilon = {first.loc[v, 'epsilon_mean']:g}",
        )
        ax.set_aspect("equal")
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{title}: trade-off reached by the attacks vs promised by the accountant")
    fig.tight_layout()
    savefig(fig, out_png, out_pdf)
    plt.close(fig)
