"""The ablations' claims (section 4.3 of the paper) checked on the figures' CSVs, and
the inputs of the ablations document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.reporting.labels import column_label


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
