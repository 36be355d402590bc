"""Stage ``one_run_report``: the one-run audits of a config in one CSV and one
Markdown table (the best bound per variant and score, Bonferroni over the grid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from diffcal.core.io import write_csv, write_text


def run_one_run_report(
    *, runs: Sequence[Mapping[str, Any]], csv: str, bounds_csv: str, md: str
) -> None:
    """``runs``: one dict per (dataset, variant): ``dataset``, ``variant``, ``label``,
    ``epsilon`` (requested; None without DP), ``table`` (its ``one_run.csv``) and
    ``bounds`` (its ``one_run_bounds.csv``)."""
    full = _collect(runs, "table")
    write_csv(full, csv)
    lines = [
        "# One-run privacy audit (Steinke, Nasr, Jagielski 2023)",
        "",
        "One DP training run per row, on the members plus the canaries whose seeded coin "
        "came up heads; guesses on the k highest and k lowest canary scores. Bound: 95 % "
        "lower bound on epsilon (pure DP), Bonferroni over the (m, k) grid; 0 = the guesses "
        "do not rule out epsilon = 0.",
        "",
        "| Dataset | Variant | epsilon (accountant) | Score | best bound | at m, k | correct |",
        "|---|---|---|---|---|---|---|",
    ]
    for (ds, v), g in full.groupby(["dataset", "variant"], sort=False):
        for name, h in g.groupby("score", sort=False):
            b = h.loc[h["epsilon_lb_any"].idxmax()]
            eps = "-" if pd.isna(b["epsilon"]) else f"{b['epsilon']:g}"
            lines.append(
                f"| {ds} | {v} | {eps} | {name} | {b['epsilon_lb_any']:.3f} | "
                f"{int(b['m'])}, {int(b['k'])} | {int(b['correct'])} / "
                f"{int(b['guesses'])} |"
            )
    lines += ["", "Every (m, k): `one_run.csv` (`epsilon_lb`: each at level 0.05 alone).", ""]
    bounds = _collect(runs, "bounds")
    write_csv(bounds, bounds_csv)
    write_text(md, "\n".join(lines + threshold_lines(bounds)))


def _collect(runs: Sequence[Mapping[str, Any]], key: str) -> pd.DataFrame:
    """Every run's CSV ``key`` (``table`` or ``bounds``), with its dataset, variant
    and requested epsilon."""
    frames = [
        pd.read_csv(r[key]).assign(dataset=r["dataset"], variant=r["variant"], epsilon=r["epsilon"])
        for r in runs
    ]
    return pd.concat(frames, ignore_index=True)


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
        "| Dataset | Variant | epsilon (accountant) | Score | pure | (eps, delta) | f-DP | "
        "correct | thresholds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, b in bounds.iterrows():
        eps = "-" if pd.isna(b["epsilon"]) else f"{b['epsilon']:g}"
        form = "fdp" if "epsilon_lb_fdp" in b and pd.notna(b["epsilon_lb_fdp"]) else "pure"

        def cell(col, b=b):
            return "-" if col not in b or pd.isna(b[col]) else f"{b[col]:.3f}"

        lines.append(
            f"| {b['dataset']} | {b['variant']} | {eps} | {b['score']} | "
            f"{cell('epsilon_lb_pure')} | {cell('epsilon_lb_delta')} | {cell('epsilon_lb_fdp')} | "
            f"{int(b[f'correct_{form}'])} / {int(b[f'guesses_{form}'])} | {int(b['thresholds'])} |"
        )
    return lines + [""]
