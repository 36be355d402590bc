"""The ablations' claims (section 4.3 of the paper) checked on the figures' CSVs, and
the inputs of the ablations document.

Every claim is judged by :mod:`diffcal.stats.verdicts`: its effects (oriented so
that a positive value is what the paper says), each with a 95 % Welch interval
from the two cells' means, sample stds and numbers of splits (the CSVs keep no
per-split values; Welch is unpaired, so wider than a paired interval for cells of
the same models), give ``holds`` / ``contradicted`` / ``inconclusive``; a claim our
configs cannot test is ``not testable here``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from diffcal.reporting.labels import column_label
from diffcal.stats.verdicts import Effect, band_effect, combine, welch_effect


def _cell(r: pd.Series, metric: str) -> tuple[float, float, int]:
    """(mean, std, n) of one metric of a CSV row (``<metric>_mean`` / ``_std``)."""
    return float(r[f"{metric}_mean"]), float(r[f"{metric}_std"]), int(r["n_splits"])


def _diff(a: pd.Series, b: pd.Series, metric: str) -> Effect:
    """Welch interval of ``a - b`` on ``metric``."""
    return welch_effect(*_cell(a, metric), *_cell(b, metric))


def _above(a: pd.Series, metric: str, bar: float) -> Effect:
    """One-sample interval of ``a - bar`` on ``metric``."""
    return welch_effect(*_cell(a, metric), bar)


def _text(effects: list[tuple[str, Effect]]) -> str:
    return "; ".join(f"{name} {e.text()}" for name, e in effects)


class _Claims:
    """The claim rows of :func:`claims`, in the order they are judged."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, fig, ds, claim, effects, rule="all", verdict=None) -> None:
        """Judge one claim from its named effects (``rule``: :func:`combine`'s), or
        record the ``verdict`` given."""
        if not effects:  # one setting only (a smoke config): nothing to compare
            verdict, effects = "not testable here", []
        elif verdict is None:
            verdict = combine([e.verdict for _, e in effects], rule)
        evidence = _text(effects) or "fewer than two settings in this run"
        row = {"figure": fig, "dataset": ds, "claim": claim, "verdict": verdict}
        self.rows.append({**row, "evidence": evidence})


def claims(
    fig3: Mapping[str, str],
    fig4: Mapping[str, str],
    fig5: Mapping[str, str],
    fig6: Mapping[str, str],
) -> list[dict[str, str]]:
    """The paper's claims about Figures 3-6, each judged from our CSVs: dicts of
    figure, dataset, claim, verdict (holds / contradicted / inconclusive / not
    testable here), evidence (the effects that decide it: mean [95 % interval]).
    Inputs: dataset -> CSV path."""
    out = _Claims()
    figures = (("3", fig3, _fig3), ("4", fig4, _fig4), ("5", fig5, _fig5), ("6", fig6, _fig6))
    for fig, paths, judge in figures:
        for ds, path in paths.items():
            judge(partial(out.add, fig, ds), pd.read_csv(path))
    return out.rows


def _fig3(add, s: pd.DataFrame) -> None:
    """Figure 3 (training-set size): both metrics rise as it shrinks; Cal ahead."""
    sizes = sorted(s["train_size"].unique())
    lo, hi = sizes[0], sizes[-1]
    cell = {(r["train_size"], r["attack"]): r for _, r in s.iterrows()}
    attacks = list(dict.fromkeys(s["attack"]))
    for metric in ("auc", "acc"):
        add(
            f"{metric.upper()} rises as the training set shrinks ({hi} -> {lo})",
            [
                (f"{column_label(a)} {hi}->{lo}", _diff(cell[lo, a], cell[hi, a], metric))
                for a in attacks
            ],
        )
    if {"loss_orig", "loss_cal"} <= set(attacks):
        add(
            "calibration (Cal) stays ahead of Orig at every size (AUC and accuracy)",
            [
                (f"{n} {m.upper()} Cal - Orig", _diff(cell[n, "loss_cal"], cell[n, "loss_orig"], m))
                for n in sizes
                for m in ("auc", "acc")
            ],
        )


def _fig4(add, s: pd.DataFrame) -> None:
    """Figure 4 (member ratio): accuracy rises, precision-recall worsens with more
    non-members; Cal keeps precision at low recall."""
    o = s[s["attack"] == "loss_orig"].sort_values("ratio", ascending=False)
    c = s[s["attack"] == "loss_cal"].sort_values("ratio", ascending=False)
    r0, r1 = o["ratio"].iloc[0], o["ratio"].iloc[-1]
    add(
        f"accuracy rises with more non-members (1:{1 / r0:g} -> 1:{1 / r1:g})",
        [
            (f"{lab} 1:{1 / r1:g} - 1:{1 / r0:g}", _diff(f.iloc[-1], f.iloc[0], "acc_matched_tau"))
            for lab, f in (("Orig", o), ("Cal", c))
        ],
    )
    add(
        "precision-recall worsens with more non-members (average precision)",
        [
            (
                f"{lab} 1:{1 / f['ratio'].iloc[i]:g} - 1:{1 / f['ratio'].iloc[i + 1]:g}",
                _diff(f.iloc[i], f.iloc[i + 1], "avg_precision"),
            )
            for lab, f in (("Orig", o), ("Cal", c))
            for i in range(len(f) - 1)
        ],
    )
    col = "precision_at_recall_0.01"
    if col + "_mean" in s.columns:
        add(
            f"at 1:{1 / r1:g}, Cal keeps high precision at low recall (1%), Orig does not",
            [
                ("precision at recall 0.01 Cal - Orig", _diff(c.iloc[-1], o.iloc[-1], col)),
                ("Cal - 0.5", _above(c.iloc[-1], col, 0.5)),
            ],
        )


def _fig5(add, s: pd.DataFrame) -> None:
    """Figure 5 (references): more of them and larger shadow sets help, per attack."""
    for attack in ("loss_calf", "loss_cal"):
        sub = s[s["attack"] == attack]
        kmax = sub["k"].max()
        gains = []
        for v, g in sub.groupby("shadow_size"):
            g = g.sort_values("k")
            gains += [
                (
                    f"{v} samples {m.upper()} K {g['k'].iloc[0]}->{kmax}",
                    _diff(g.iloc[-1], g.iloc[0], m),
                )
                for m in ("auc", "acc")
            ]
        lab = column_label(attack)
        add(f"{lab}: more references improve AUC and accuracy (K 1 -> {kmax})", gains)
        at_max = sub[sub["k"] == kmax].sort_values("shadow_size")
        add(
            f"{lab}: larger shadow sets improve AUC and accuracy (K = {kmax})",
            [
                (
                    f"{m.upper()} {at_max['shadow_size'].iloc[i]}->"
                    f"{at_max['shadow_size'].iloc[i + 1]}",
                    _diff(at_max.iloc[i + 1], at_max.iloc[i], m),
                )
                for i in range(len(at_max) - 1)
                for m in ("auc", "acc")
            ],
        )
        _fig5_gain_of_ten(add, lab, kmax, [(n, e) for n, e in gains if " AUC " in n])


def _fig5_gain_of_ten(add, lab: str, kmax: int, auc_gains: list[tuple[str, Effect]]) -> None:
    """The paper's 'up to 0.05' AUC gain from K = 1 to 10: positive everywhere and
    at least 0.03 somewhere."""
    claim = (
        f"{lab}: the AUC gain from K = 1 to 10 is positive at every shadow-set "
        "size and at least 0.03 at one (paper: up to 0.05)"
    )
    if kmax < 10:
        add(claim, auc_gains, verdict="not testable here")
        return
    bar = [(f"{n} - 0.03", e.shifted(-0.03)) for n, e in auc_gains]
    everywhere = combine([e.verdict for _, e in auc_gains])
    add(
        claim,
        auc_gains + bar,
        verdict=combine([everywhere, combine([e.verdict for _, e in bar], "any")]),
    )


def _fig6(add, s: pd.DataFrame) -> None:
    """Figure 6 (DP targets): Cal beats chance at large epsilon, both attacks near
    chance at epsilon 1, the target's accuracy falls with epsilon."""
    fpr_col = next(c for c in s.columns if c.startswith("tpr_at_fpr_") and c.endswith("_mean"))
    f = fpr_col[len("tpr_at_fpr_") : -len("_mean")]
    metric = fpr_col[: -len("_mean")]
    cal = s[s["attack"] == "loss_cal"].set_index("epsilon_mean")
    orig = s[s["attack"] == "loss_orig"].set_index("epsilon_mean")
    high = [e for e in cal.index if np.isfinite(e) and e >= 100]
    if high:
        add(
            f"at epsilon 100 and 1000, Cal still reaches non-trivial TPR at FPR {f} "
            f"(TPR - 2 x {f} > 0)",
            [
                (f"eps {e:g} Cal TPR - {2 * float(f):g}", _above(cal.loc[e], metric, 2 * float(f)))
                for e in high
            ],
        )
    low = [e for e in cal.index if np.isfinite(e) and e <= 1]
    if low:
        e = min(low)
        aucs = [
            (f"eps {e:g} AUC {lab}", _above(t.loc[e], "auc", 0.0))
            for lab, t in (("Orig", orig), ("Cal", cal))
        ]
        add(
            "near epsilon 1 both attacks approach chance (AUC interval inside 0.5 +- 0.02)",
            aucs,
            verdict=combine([band_effect(x, 0.5, 0.02) for _, x in aucs]),
        )
    fin = sorted(e for e in cal.index if np.isfinite(e))
    add(
        "the DP target's accuracy falls as epsilon falls (reported, not a paper claim)",
        [
            (f"test acc eps {b:g} - {a:g}", _diff(cal.loc[b], cal.loc[a], "test_acc"))
            for a, b in zip(fin, fin[1:], strict=False)
        ],
    )


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
    for key, stems in (
        ("fig3", ["fig3_train_size"]),
        ("fig4", ["fig4_ratio"]),
        ("fig5", ["fig5_references"]),
        ("fig6", ["fig6_dp", "fig6_tradeoff"]),  # the rule fig_dp's two figures
    ):
        for p in out[key].values():
            pngs += [str(Path(p).with_name(f"{stem}.png")) for stem in stems]
    out["figure_files"] = pngs
    return out
