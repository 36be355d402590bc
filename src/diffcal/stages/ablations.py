"""Stages of the ablation figures (paper section 4.3, Figures 3-6) and their report.

Every stage reads files the main pipeline already wrote (metrics.csv,
attack_scores.parquet, scores.parquet, split.parquet, target.pt) and never trains
or scores a model: adding a ratio or changing K reruns only these stages. Each
figure comes with a CSV of the plotted numbers, mean and sample std over splits.

Inputs map a variant to the list of its part files (each file holds a ``split``
column; see :mod:`diffcal.stages.attack`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks import ablations as ab
from diffcal.attacks import metrics
from diffcal.attacks.calibration import SCORES
from diffcal.core.io import write_csv, write_text
from diffcal.core.seeds import derive_seed
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.reporting.labels import column_label
from diffcal.stages.attack import SETTINGS, model_outputs
from diffcal.stages.report import _savefig

log = logging.getLogger("diffcal")

CURVE_ATTACKS = ("loss_orig", "loss_cal")  # the paper draws loss Orig vs Cal


def _concat(paths: Sequence[str], reader) -> pd.DataFrame:
    return pd.concat([reader(p) for p in paths], ignore_index=True)


def _agg(df: pd.DataFrame, by: list[str], values: list[str]) -> pd.DataFrame:
    """Mean, sample std (ddof 1) and count over splits of ``values``, per ``by``."""
    g = df.groupby(by, sort=False)[values]
    out = g.mean().add_suffix("_mean").join(g.std(ddof=1).add_suffix("_std"))
    out["n_splits"] = g.size()
    return out.reset_index()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt


# --------------------------------------------------------------------- Figure 3


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
        m = _concat(paths, pd.read_csv)
        frames.append(m[m["attack"].isin(attacks)].assign(variant=variant))
    df = pd.concat(frames, ignore_index=True)
    df = df.rename(columns={"n_members": "train_size"})
    summary = _agg(df, ["variant", "train_size", "attack"], ["auc", "acc"])
    summary = summary.sort_values(["train_size", "attack"], kind="stable")
    write_csv(summary, out_csv)
    plt = _plt()
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
    _savefig(fig, out_png, out_pdf)
    plt.close(fig)


# --------------------------------------------------------------------- Figure 4


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
    df = _concat(attack_scores, pd.read_parquet)
    attacks = [a for a in ("loss_orig", "loss_cal", "loss_calf") if a in df.columns]
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
                curves.append(
                    pd.DataFrame(
                        {
                            "split": int(t),
                            "attack": a,
                            "ratio": float(r),
                            "recall": ab.RECALL_GRID,
                            "precision": prec,
                        }
                    )
                )
    per_split = pd.DataFrame(rows)
    values = [c for c in per_split.columns if c not in ("split", "attack", "ratio")]
    summary = _agg(per_split, ["ratio", "attack"], values)
    write_csv(summary, out_csv)
    curve = _agg(pd.concat(curves, ignore_index=True), ["ratio", "attack", "recall"], ["precision"])
    write_csv(curve, out_curves)

    plt = _plt()
    fig, (ax_acc, ax_pr) = plt.subplots(1, 2, figsize=(10, 3.8))
    colors = dict(zip(attacks, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    x = 1.0 / np.asarray(sorted(ratios, reverse=True))  # non-members per member
    for a in [a for a in CURVE_ATTACKS if a in attacks]:
        s = summary[summary["attack"] == a].set_index("ratio").loc[sorted(ratios, reverse=True)]
        ax_acc.errorbar(
            x,
            s["acc_matched_tau_mean"],
            yerr=s["acc_matched_tau_std"].fillna(0),
            marker="o",
            capsize=3,
            color=colors[a],
            label=f"{column_label(a)}, tau at ratio",
        )
        ax_acc.plot(
            x,
            s["acc_balanced_tau_mean"],
            "--",
            marker="x",
            color=colors[a],
            label=f"{column_label(a)}, tau at 1:1",
        )
    triv = summary[summary["attack"] == attacks[0]].set_index("ratio")
    ax_acc.plot(
        x,
        triv.loc[sorted(ratios, reverse=True), "acc_all_nonmember_mean"],
        ":",
        color="grey",
        label="all non-member",
    )
    ax_acc.set_xscale("log")
    ax_acc.set_xticks(x, [f"1:{v:g}" for v in x])
    ax_acc.set(xlabel="Member : non-member ratio", ylabel="Accuracy", title="Accuracy")
    ax_acc.legend(fontsize=6)
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
    _savefig(fig, out_png, out_pdf)
    plt.close(fig)


# --------------------------------------------------------------------- Figure 5


def _loss_setting(sc: pd.DataFrame, sp: pd.DataFrame, setting: str, ref_model: str):
    """(is_member, target loss score, reference loss scores ``(K, n)``) of a setting
    (``eval`` or ``threshold``) with references ``scratch`` or ``forget``."""
    tmodel, fmodel, in_role, out_role = SETTINGS[setting]
    ids = ids_with_role(sp, in_role, out_role)
    roles = sp.set_index("sample_id").loc[ids, "role"].to_numpy()
    target = SCORES["loss"](model_outputs(sc, tmodel, ids))[0]
    refs = SCORES["loss"](model_outputs(sc, "scratch" if ref_model == "scratch" else fmodel, ids))
    return roles == in_role, target, refs


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
                    em, et, er = _loss_setting(sc, sp, "eval", kind)
                    tm, tt, tr = _loss_setting(sc, sp, "threshold", kind)
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
    summary = _agg(per_split, ["variant", "shadow_size", "attack", "k"], ["auc", "acc"])
    write_csv(summary, out_csv)
    plt = _plt()
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
    _savefig(fig, out_png, out_pdf)
    plt.close(fig)


# --------------------------------------------------------------------- Figure 6


def _dp_info(paths: Sequence[str]) -> pd.DataFrame:
    """Per split: requested and spent epsilon and accuracies of the DP targets."""
    from diffcal.training.model_files import load_models

    rows = []
    for p in paths:
        for e in load_models(p)[1]:
            rows.append(
                {
                    "split": int(e["split"]),
                    "train_acc": e["train_acc"],
                    "test_acc": e["test_acc"],
                    "epsilon": e.get("dp_epsilon", np.inf),
                    "epsilon_spent": e.get("dp_epsilon_spent", np.inf),
                    "noise_multiplier": e.get("dp_noise_multiplier", 0.0),
                }
            )
    return pd.DataFrame(rows)


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
    fpr_levels: Sequence[float] = (0.01, 0.001),
) -> None:
    """ROC and precision-recall of loss Orig vs Cal per DP variant, the undefended
    variants (no epsilon) dotted. ``targets``: variant -> target.pt files."""
    rows, curves = [], []
    for variant, paths in attack_scores.items():
        info = _dp_info(targets[variant]).set_index("split")
        met = _concat(metrics_files[variant], pd.read_csv).set_index(["split", "attack"])
        df = _concat(paths, pd.read_parquet)
        for t, g in df.groupby("split", sort=True):
            ev = g[g["set"] == "eval"]
            y = ev["is_member"].to_numpy()
            for a in [a for a in CURVE_ATTACKS if a in ev.columns]:
                s = ev[a].to_numpy()
                m = met.loc[(int(t), a)]
                rows.append(
                    {
                        "variant": variant,
                        "split": int(t),
                        "attack": a,
                        **info.loc[int(t)].to_dict(),
                        "auc": m["auc"],
                        "acc": m["acc"],
                        **{f"tpr_at_fpr_{f:g}": metrics.tpr_at_fpr(y, s, f) for f in fpr_levels},
                        "avg_precision": ab.average_precision(y, s),
                    }
                )
                curves.append(
                    pd.DataFrame(
                        {
                            "variant": variant,
                            "split": int(t),
                            "attack": a,
                            "fpr": ab.FPR_GRID,
                            "tpr": ab.tpr_on_grid(y, s),
                        }
                    )
                )
                curves.append(
                    pd.DataFrame(
                        {
                            "variant": variant,
                            "split": int(t),
                            "attack": a,
                            "recall": ab.RECALL_GRID,
                            "precision": ab.precision_on_grid(y, s),
                        }
                    )
                )
    per_split = pd.DataFrame(rows)
    values = [c for c in per_split.columns if c not in ("variant", "split", "attack")]
    summary = _agg(per_split, ["variant", "attack"], values)
    summary = summary.sort_values(
        ["epsilon_mean", "attack"], ascending=[False, True], kind="stable"
    )
    write_csv(summary, out_csv)
    cur = pd.concat(curves, ignore_index=True)
    roc = _agg(cur.dropna(subset=["fpr"]), ["variant", "attack", "fpr"], ["tpr"])
    pr = _agg(cur.dropna(subset=["recall"]), ["variant", "attack", "recall"], ["precision"])
    write_csv(pd.concat([roc, pr], ignore_index=True), out_curves)

    eps = summary.groupby("variant", sort=False)["epsilon_mean"].first()
    private = [v for v in eps.index if np.isfinite(eps[v])]
    private.sort(key=lambda v: -eps[v])
    undefended = [v for v in eps.index if not np.isfinite(eps[v])]
    plt = _plt()
    fig, axes = plt.subplots(2, len(private), figsize=(3.2 * len(private), 6.2), squeeze=False)
    colors = {"loss_orig": "tab:blue", "loss_cal": "tab:orange"}
    for col, v in enumerate(private):
        ax_roc, ax_pr = axes[0, col], axes[1, col]
        for vv, style in [(v, "-")] + [(u, ":") for u in undefended]:
            for a, color in colors.items():
                r = roc[(roc["variant"] == vv) & (roc["attack"] == a)]
                p = pr[(pr["variant"] == vv) & (pr["attack"] == a)]
                auc = summary[(summary["variant"] == vv) & (summary["attack"] == a)]["auc_mean"]
                tag = " undefended" if style == ":" else ""
                lab = f"{column_label(a)}{tag} (AUC {float(auc.iloc[0]):.3f})"
                ax_roc.plot(r["fpr"].clip(lower=1e-4), r["tpr_mean"], style, color=color, label=lab)
                ax_pr.plot(p["recall"], p["precision_mean"], style, color=color)
        ax_roc.plot([1e-4, 1], [1e-4, 1], color="grey", lw=0.5)
        ax_roc.set(
            xscale="log",
            yscale="log",
            xlim=(1e-4, 1),
            ylim=(1e-4, 1.05),
            xlabel="False positive rate",
            ylabel="True positive rate",
            title=f"epsilon = {eps[v]:g}",
        )
        ax_pr.set(xlabel="Recall", ylabel="Precision", ylim=(0.3, 1.02))
        ax_roc.legend(fontsize=6, loc="lower right")
    fig.suptitle(f"{title}: DP-SGD targets, loss Orig vs Cal (dotted: undefended)")
    fig.tight_layout()
    _savefig(fig, out_png, out_pdf)
    plt.close(fig)


# --------------------------------------------------------------------- report


def _fmt(m: float, s: float) -> str:
    return f"{m:.3f}" if not np.isfinite(s) else f"{m:.3f} ± {s:.3f}"


def claims(
    fig3: Mapping[str, str],
    fig4: Mapping[str, str],
    fig5: Mapping[str, str],
    fig6: Mapping[str, str],
) -> list[dict[str, str]]:
    """The paper's claims about Figures 3-6, each judged from our CSVs: dicts of
    figure, dataset, claim, verdict (holds / does not hold / not testable here),
    evidence (the numbers that decide it). Inputs: dataset -> CSV path."""
    out = []

    def add(fig, ds, claim, ok, evidence):
        verdict = "not testable here" if ok is None else ("holds" if ok else "does not hold")
        out.append(
            {"figure": fig, "dataset": ds, "claim": claim, "verdict": verdict, "evidence": evidence}
        )

    for ds, path in fig3.items():
        s = pd.read_csv(path)
        piv = s.pivot_table(index="train_size", columns="attack", values=["auc_mean", "acc_mean"])
        sizes = list(piv.index)
        lo, hi = sizes[0], sizes[-1]
        for metric in ("auc", "acc"):
            col = piv[f"{metric}_mean"]
            rise = {a: col.loc[lo, a] - col.loc[hi, a] for a in col.columns}
            add(
                "3",
                ds,
                f"{metric.upper()} rises as the training set shrinks ({hi} -> {lo})",
                all(v > 0 for v in rise.values()),
                ", ".join(
                    f"{column_label(a)} {col.loc[hi, a]:.3f} -> {col.loc[lo, a]:.3f}"
                    for a in col.columns
                ),
            )
        if {"loss_orig", "loss_cal"} <= set(piv["auc_mean"].columns):
            d = piv["auc_mean"]["loss_cal"] - piv["auc_mean"]["loss_orig"]
            a = piv["acc_mean"]["loss_cal"] - piv["acc_mean"]["loss_orig"]
            add(
                "3",
                ds,
                "calibration (Cal) stays ahead of Orig at every size (AUC and accuracy)",
                bool((d > 0).all() and (a > 0).all()),
                f"Cal - Orig AUC {d.min():+.3f} .. {d.max():+.3f}, "
                f"accuracy {a.min():+.3f} .. {a.max():+.3f} over {len(sizes)} sizes",
            )
    for ds, path in fig4.items():
        s = pd.read_csv(path)
        o = s[s["attack"] == "loss_orig"].sort_values("ratio", ascending=False)
        c = s[s["attack"] == "loss_cal"].sort_values("ratio", ascending=False)
        r0, r1 = o["ratio"].iloc[0], o["ratio"].iloc[-1]
        oa, ca = o["acc_matched_tau_mean"], c["acc_matched_tau_mean"]
        add(
            "4",
            ds,
            f"accuracy rises with more non-members (1:{1 / r0:g} -> 1:{1 / r1:g})",
            bool(
                o["acc_matched_tau_mean"].iloc[-1] > o["acc_matched_tau_mean"].iloc[0]
                and c["acc_matched_tau_mean"].iloc[-1] > c["acc_matched_tau_mean"].iloc[0]
            ),
            f"Orig {oa.iloc[0]:.3f} -> {oa.iloc[-1]:.3f}, "
            f"Cal {ca.iloc[0]:.3f} -> {ca.iloc[-1]:.3f} "
            "(tau chosen at the same ratio)",
        )
        add(
            "4",
            ds,
            "precision-recall worsens with more non-members (average precision)",
            bool(
                np.all(np.diff(o["avg_precision_mean"]) < 0)
                and np.all(np.diff(c["avg_precision_mean"]) < 0)
            ),
            f"Orig {', '.join(f'{v:.3f}' for v in o['avg_precision_mean'])}; "
            f"Cal {', '.join(f'{v:.3f}' for v in c['avg_precision_mean'])}",
        )
        col = "precision_at_recall_0.01"
        if col + "_mean" in s.columns:
            pc, po = c[col + "_mean"].iloc[-1], o[col + "_mean"].iloc[-1]
            add(
                "4",
                ds,
                f"at 1:{1 / r1:g}, Cal keeps high precision at low recall (1%), Orig does not",
                bool(pc > po and pc >= 0.5),
                f"precision at recall 0.01: Cal {pc:.3f}, Orig {po:.3f} "
                f"(chance {r1 / (1 + r1):.3f})",
            )
    for ds, path in fig5.items():
        s = pd.read_csv(path)
        for attack in ("loss_calf", "loss_cal"):
            sub = s[s["attack"] == attack]
            kmax = sub["k"].max()
            gains, mono_k = [], True
            for v, g in sub.groupby("shadow_size"):
                g = g.sort_values("k")
                gains.append(
                    (
                        v,
                        g["auc_mean"].iloc[-1] - g["auc_mean"].iloc[0],
                        g["acc_mean"].iloc[-1] - g["acc_mean"].iloc[0],
                    )
                )
                mono_k &= bool(gains[-1][1] > 0 and gains[-1][2] > 0)
            add(
                "5",
                ds,
                f"{column_label(attack)}: more references improve AUC and accuracy (K 1 -> {kmax})",
                mono_k,
                "; ".join(f"{v} samples: AUC {ga:+.3f}, acc {gc:+.3f}" for v, ga, gc in gains),
            )
            at_max = sub[sub["k"] == kmax].sort_values("shadow_size")
            add(
                "5",
                ds,
                f"{column_label(attack)}: larger shadow sets improve AUC and accuracy (K = {kmax})",
                bool(
                    np.all(np.diff(at_max["auc_mean"]) > 0)
                    and np.all(np.diff(at_max["acc_mean"]) > 0)
                ),
                ", ".join(
                    f"{n}: AUC {a:.3f} acc {c:.3f}"
                    for n, a, c in zip(
                        at_max["shadow_size"], at_max["auc_mean"], at_max["acc_mean"], strict=True
                    )
                ),
            )
            best = max(gains, key=lambda x: x[1])
            add(
                "5",
                ds,
                f"{column_label(attack)}: the AUC gain from K = 1 to 10 is positive at every "
                "shadow-set size and at least 0.03 at one (paper: up to 0.05)",
                None if kmax < 10 else bool(all(g[1] > 0 for g in gains) and best[1] >= 0.03),
                f"largest AUC gain {best[1]:+.3f} ({best[0]} samples); "
                + ", ".join(f"{v}: {ga:+.3f}" for v, ga, _ in gains),
            )
    for ds, path in fig6.items():
        s = pd.read_csv(path)
        fpr_col = next(c for c in s.columns if c.startswith("tpr_at_fpr_") and c.endswith("_mean"))
        f = fpr_col[len("tpr_at_fpr_") : -len("_mean")]
        cal = s[s["attack"] == "loss_cal"].set_index("epsilon_mean")
        orig = s[s["attack"] == "loss_orig"].set_index("epsilon_mean")
        high = [e for e in cal.index if np.isfinite(e) and e >= 100]
        if high:
            add(
                "6",
                ds,
                f"at epsilon 100 and 1000, Cal still reaches non-trivial TPR at FPR {f}",
                bool(all(cal.loc[e, fpr_col] > 2 * float(f) for e in high)),
                ", ".join(
                    f"eps {e:g}: TPR {cal.loc[e, fpr_col]:.4f} (Orig {orig.loc[e, fpr_col]:.4f})"
                    for e in high
                ),
            )
        low = [e for e in cal.index if np.isfinite(e) and e <= 1]
        if low:
            e = min(low)
            add(
                "6",
                ds,
                "near epsilon 1 both attacks approach chance (AUC within 0.02 of 0.5)",
                bool(
                    abs(cal.loc[e, "auc_mean"] - 0.5) < 0.02
                    and abs(orig.loc[e, "auc_mean"] - 0.5) < 0.02
                ),
                f"eps {e:g}: AUC Orig {orig.loc[e, 'auc_mean']:.3f}, "
                f"Cal {cal.loc[e, 'auc_mean']:.3f}",
            )
        fin = sorted(e for e in cal.index if np.isfinite(e))
        accs = [cal.loc[e, "test_acc_mean"] for e in fin]
        add(
            "6",
            ds,
            "the DP target's accuracy falls as epsilon falls (reported, not a paper claim)",
            bool(np.all(np.diff(accs) >= 0)),
            ", ".join(f"eps {e:g}: test acc {a:.3f}" for e, a in zip(fin, accs, strict=True)),
        )
    return out


def run_ablations_doc(
    *,
    name: str,
    fig3: Mapping[str, str],
    fig4: Mapping[str, str],
    fig5: Mapping[str, str],
    fig6: Mapping[str, str],
    figure_files: Sequence[str],
    out_md: str,
) -> None:
    """Markdown summary of the ablations: the claims table and, per figure, the
    figure and its CSV as a table. Paths in it are relative to the directory of
    ``out_md`` (the figures sit next to it), so a copy of that directory renders."""
    here = os.path.dirname(os.path.abspath(out_md))

    def rel(path: str) -> str:
        return os.path.relpath(os.path.abspath(path), here)

    lines = [
        f"# Ablations (paper section 4.3), config `{name}`",
        "",
        "Generated by the workflow's rule `ablations_doc`; every number "
        "below is read from the figure CSVs next to the figures. Mean ± sample std over "
        "splits.",
        "",
        "## The paper's claims",
        "",
        "| Fig. | Dataset | Claim | Verdict | Evidence |",
        "|---|---|---|---|---|",
    ]
    for c in claims(fig3, fig4, fig5, fig6):
        lines.append(
            f"| {c['figure']} | {c['dataset']} | {c['claim']} "
            f"| **{c['verdict']}** | {c['evidence']} |"
        )
    lines += ["", "## Figures", ""]
    for p in figure_files:
        lines += [f"![{rel(p)}]({rel(p)})", ""]
    for title, files, cols in [
        ("Figure 3: training-set size", fig3, ["train_size", "attack", "auc", "acc"]),
        (
            "Figure 4: member to non-member ratio",
            fig4,
            [
                "ratio",
                "attack",
                "acc_matched_tau",
                "acc_balanced_tau",
                "acc_all_nonmember",
                "avg_precision",
                "precision_at_recall_0.01",
            ],
        ),
        (
            "Figure 5: number of references and shadow-set size",
            fig5,
            ["shadow_size", "attack", "k", "auc", "acc"],
        ),
        (
            "Figure 6: DP-SGD",
            fig6,
            [
                "epsilon",
                "epsilon_spent",
                "attack",
                "test_acc",
                "auc",
                "tpr_at_fpr_0.01",
                "avg_precision",
            ],
        ),
    ]:
        for ds, path in files.items():
            s = pd.read_csv(path)
            lines += ["", f"### {title} ({ds})", "", f"Source: `{rel(path)}`", ""]
            shown = [c for c in cols if c in s.columns or f"{c}_mean" in s.columns]
            if "k" in shown:
                s = s[s["k"].isin(sorted({1, 2, 5, int(s["k"].max())}))]
            lines.append("| " + " | ".join(shown) + " |")
            lines.append("|" + "---|" * len(shown))
            for _, r in s.iterrows():
                cells = []
                for c in shown:
                    if c in s.columns:
                        v = r[c]
                        cells.append(
                            column_label(v)
                            if c == "attack"
                            else f"{v:g}"
                            if isinstance(v, float)
                            else str(v)
                        )
                    else:
                        cells.append(_fmt(r[f"{c}_mean"], r[f"{c}_std"]))
                lines.append("| " + " | ".join(cells) + " |")
    write_text(out_md, "\n".join(lines) + "\n")


def doc_inputs_from_dir(root: str) -> dict[str, Any]:
    """The arguments of :func:`run_ablations_doc` for a copy of an ablations output
    directory (``<dataset>/fig3_train_size.csv``, ``<dataset>/<variant>/fig4_ratio.csv``,
    ...), datasets and variants in sorted order: lets ``docs/ablations/`` be checked
    against the CSVs committed next to it."""
    from pathlib import Path

    base = Path(root)

    def find(pattern: str, depth: int) -> dict[str, str]:
        return {
            "/".join(p.relative_to(base).parts[:depth]): str(p) for p in sorted(base.glob(pattern))
        }

    out = {
        "fig3": find("*/fig3_train_size.csv", 1),
        "fig4": find("*/*/fig4_ratio.csv", 2),
        "fig5": find("*/fig5_references.csv", 1),
        "fig6": find("*/fig6_dp.csv", 1),
    }
    pngs = []
    for key, stem in (("fig3", "fig3_train_size"), ("fig4", "fig4_ratio"),
                      ("fig5", "fig5_references"), ("fig6", "fig6_dp")):  # fmt: skip
        pngs += [str(Path(p).with_name(f"{stem}.png")) for p in out[key].values()]
    out["figure_files"] = pngs
    return out
