"""Stage ``one_run_report``: the one-run audits of a config in one CSV and one
Markdown table (the best bound per variant and score, Bonferroni over the grid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from diffcal.core.io import write_csv, write_text


def run_one_run_report(*, runs: Sequence[Mapping[str, Any]], csv: str, md: str) -> None:
    """``runs``: one dict per (dataset, variant): ``dataset``, ``variant``, ``label``,
    ``epsilon`` (requested; None without DP) and ``table`` (its ``one_run.csv``)."""
    frames = [
        pd.read_csv(r["table"]).assign(
            dataset=r["dataset"], variant=r["variant"], epsilon=r["epsilon"]
        )
        for r in runs
    ]
    full = pd.concat(frames, ignore_index=True)
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
    write_text(md, "\n".join(lines))
