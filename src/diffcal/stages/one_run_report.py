"""Stage ``one_run_report``: the one-run audits of a config in one CSV and one
Markdown table (the best bound per variant and score, Bonferroni over the grid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.core.io import write_csv, write_text


def run_one_run_report(
    *,
    runs: Sequence[Mapping[str, Any]],
    csv: str,
    bounds_csv: str,
    md: str,
    fig6: Mapping[str, str] | None = None,
) -> None:
    """``runs``: one dict per (dataset, variant, canary kind): ``dataset``,
    ``variant``, ``canaries`` (the kind), ``epsilon`` (requested; None without DP),
    ``table`` (its ``one_run.csv``), ``bounds`` (its ``one_run_bounds.csv``) and
    ``model`` (its canary target, whose accountant's epsilons the rows carry).
    ``fig6``: dataset -> its ``fig6_dp.csv`` (Figure 6's bounds from many samples),
    for the table of every DP target's promised and shown epsilons."""
    accountant = {r["model"]: _accountant(r["model"]) for r in runs}
    full = _collect(runs, "table", accountant)
    write_csv(full, csv)
    lines = [
        "# One-run privacy audit (Steinke, Nasr, Jagielski 2023)",
        "",
        "One DP training run per row, on the members plus the canaries whose seeded coin "
        "came up heads; guesses on the k highest and k lowest canary scores. Bound: 95 % "
        "lower bound on epsilon (pure DP), Bonferroni over the (m, k) grid; 0 = the guesses "
        "do not rule out epsilon = 0.",
        "",
        "| Dataset | Variant | Canaries | epsilon (RDP / PRV) | Score | best bound | at m, k | "
        "correct |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (ds, v, kind), g in full.groupby(["dataset", "variant", "canaries"], sort=False):
        for name, h in g.groupby("score", sort=False):
            b = h.loc[h["epsilon_lb_any"].idxmax()]
            lines.append(
                f"| {ds} | {v} | {kind} | {_eps(b)} | {name} | {b['epsilon_lb_any']:.3f} | "
                f"{int(b['m'])}, {int(b['k'])} | {int(b['correct'])} / "
                f"{int(b['guesses'])} |"
            )
    lines += ["", "Every (m, k): `one_run.csv` (`epsilon_lb`: each at level 0.05 alone).", ""]
    bounds = _collect(runs, "bounds", accountant)
    write_csv(bounds, bounds_csv)
    summary = promised_vs_shown(bounds, {d: pd.read_csv(p) for d, p in (fig6 or {}).items()})
    write_text(md, "\n".join(lines + threshold_lines(bounds) + summary))


def _accountant(model: str) -> dict[str, float]:
    """The canary target's epsilon by the RDP accountant it trained with and by
    Opacus' PRV accountant (infinite without DP, NaN where not computed)."""
    from diffcal.reporting.ablation_data import dp_info

    info = dp_info([model]).iloc[0]
    return {"epsilon_rdp": info["epsilon_spent"], "epsilon_prv": info["epsilon_prv"]}


def _collect(
    runs: Sequence[Mapping[str, Any]], key: str, accountant: Mapping[str, Mapping[str, float]]
) -> pd.DataFrame:
    """Every run's CSV ``key`` (``table`` or ``bounds``), with its dataset, variant,
    canary kind, requested epsilon and the accountant's epsilons."""
    frames = [
        pd.read_csv(r[key]).assign(
            dataset=r["dataset"],
            variant=r["variant"],
            canaries=r["canaries"],
            epsilon=r["epsilon"],
            **accountant[r["model"]],
        )
        for r in runs
    ]
    return pd.concat(frames, ignore_index=True)


def _eps(row: Mapping[str, Any]) -> str:
    """The accountant's epsilons of a row, ``RDP / PRV`` (``-`` without DP)."""
    if not np.isfinite(row["epsilon_rdp"]):
        return "-"
    prv = "n/a" if pd.isna(row["epsilon_prv"]) else f"{row['epsilon_prv']:.3g}"
    return f"{row['epsilon_rdp']:.3g} / {prv}"


def threshold_lines(bounds: pd.DataFrame) -> list[str]:
    """The Markdown table of the bounds with guesses by threshold, three forms."""
    lines = [
        "## Guesses by threshold, three forms",
        "",
        "Guess 'included' for every canary scoring at least a threshold, Bonferroni over "
        "the thresholds at the vertices of the ROC's upper hull (`thresholds`), all "
        "canaries; 95 % lower bounds on epsilon: pure DP, (epsilon, delta) at the "
        "variant's delta (Steinke, Nasr, Jagielski 2023, Theorem 3) and the f-DP form "
        "(Mahloujifar et al. 2024: the Gaussian trade-off curve the (epsilon, delta) "
        "claim allows). `-`: no delta (a variant without DP). Correct / guesses: of "
        "the f-DP bound where there is one, else of the pure one.",
        "",
        "| Dataset | Variant | Canaries | epsilon (RDP / PRV) | Score | pure | (eps, delta) | "
        "f-DP | correct | thresholds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, b in bounds.iterrows():
        form = "fdp" if "epsilon_lb_fdp" in b and pd.notna(b["epsilon_lb_fdp"]) else "pure"

        def cell(col, b=b):
            return "-" if col not in b or pd.isna(b[col]) else f"{b[col]:.3f}"

        lines.append(
            f"| {b['dataset']} | {b['variant']} | {b['canaries']} | {_eps(b)} | {b['score']} | "
            f"{cell('epsilon_lb_pure')} | {cell('epsilon_lb_delta')} | {cell('epsilon_lb_fdp')} | "
            f"{int(b[f'correct_{form}'])} / {int(b[f'guesses_{form}'])} | {int(b['thresholds'])} |"
        )
    return lines + [""]


def promised_vs_shown(bounds: pd.DataFrame, fig6: Mapping[str, pd.DataFrame]) -> list[str]:
    """The Markdown table of every DP target (a variant with an accountant's
    epsilon): what training promised (RDP / PRV, of the canary run) against the
    best 95 % lower bound each method shows: Clopper-Pearson from Figure 6's
    evaluation samples (``fig6``: dataset -> ``fig6_dp.csv``; best attack, means
    over splits, with its FPR / FNR upper bounds and samples) and the one-run
    audit with guesses by threshold in its three forms (best over canary kinds and
    scores, with its correct guesses and canaries)."""
    dp = bounds[np.isfinite(bounds["epsilon_rdp"])]
    if dp.empty:
        return []
    lines = [
        "## Promised against shown, every DP target",
        "",
        "epsilon promised by the accountants (of the canary run) against the highest 95 % "
        "lower bound each method shows. Many samples: Figure 6's Clopper-Pearson bound, "
        "best attack (mean over splits; FPR / FNR: the upper bounds at its threshold; "
        "members + non-members it counts). One run: the best over canary kinds and "
        "scores (correct / guesses of m canaries).",
        "",
        "| Dataset | Variant | epsilon (RDP / PRV) | many samples (CP) | one run, pure | "
        "one run, (eps, delta) | one run, f-DP | cap: many samples / one run, f-DP |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (ds, v), g in dp.groupby(["dataset", "variant"], sort=False):
        cells = [_cp_cell(fig6.get(ds), v)]
        for form in ("pure", "delta", "fdp"):
            b = g.loc[g[f"epsilon_lb_{form}"].idxmax()]
            cells.append(
                f"{b[f'epsilon_lb_{form}']:.3f} ({b['canaries']} {b['score']}; "
                f"{int(b[f'correct_{form}'])} / {int(b[f'guesses_{form}'])} of {int(b['m'])})"
            )
        cells.append(_caps(fig6.get(ds), v, g.iloc[0]))
        lines.append(f"| {ds} | {v} | {_eps(g.iloc[0])} | " + " | ".join(cells) + " |")
    return lines + [CAP_NOTE, ""]


CAP_NOTE = (
    "\nCap: the bound a perfect attack would show from the same samples (every member "
    "scored above every non-member; every included canary above every excluded one), "
    "computed by the same functions: no attack on these samples can show more, "
    "whatever the model leaks."
)


def _caps(fig6: pd.DataFrame | None, variant: str, one_run: pd.Series) -> str:
    """The caps of :data:`CAP_NOTE`: Figure 6's bound (its evaluation samples, the
    bonferroni strategy) and the one-run f-DP bound (its canaries) of a perfect
    attack."""
    from diffcal.reporting.ablation_data import DEFAULT_DELTA
    from diffcal.stats.bound_strategies import epsilon_bound, one_run_bonferroni

    delta = DEFAULT_DELTA  # the variant's DP delta where Figure 6 has it
    many = "-"
    if fig6 is not None and variant in set(fig6["variant"]):
        f = fig6[fig6["variant"] == variant].iloc[0]
        delta = float(f["delta"]) if "delta" in f else delta
        n1, n0 = int(round(f["n_eval_members_mean"])), int(round(f["n_eval_nonmembers_mean"]))
        y = np.r_[np.ones(n1, bool), np.zeros(n0, bool)]
        many = f"{epsilon_bound(y.astype(float), y, delta=delta).epsilon:.2f}"
    m, k = int(one_run["m"]), int(one_run["included"])
    y = np.arange(m) < k
    one = one_run_bonferroni(y.astype(float), y, delta=delta, fdp=True)[0]
    return f"{many} / {one:.2f}"


def _cp_cell(fig6: pd.DataFrame | None, variant: str) -> str:
    """Figure 6's best attack bound for ``variant``, with its operating point."""
    if fig6 is None or variant not in set(fig6["variant"]):
        return "-"
    f = fig6[fig6["variant"] == variant]
    b = f.loc[f["epsilon_lb_mean"].idxmax()]
    return (
        f"{b['epsilon_lb_mean']:.3f} ({b['attack']}; FPR <= {b['epsilon_lb_fpr_high_mean']:.3g}, "
        f"FNR <= {b['epsilon_lb_fnr_high_mean']:.3g}; "
        f"{b['n_eval_members_mean']:.0f} + {b['n_eval_nonmembers_mean']:.0f})"
    )
