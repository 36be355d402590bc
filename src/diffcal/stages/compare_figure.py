"""Stage ``compare_figure``: the comparison's log-log ROC figure, every attack at the
largest reference budget on the first split of each run. See docs/comparison.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diffcal.reporting.roc_figure import figure, first_split


def run_compare_figure(
    *,
    runs: Sequence[Mapping[str, Any]],
    attacks: Sequence[str],
    budgets: Sequence[int],
    png: str,
    pdf: str,
) -> None:
    """``runs``: as :func:`diffcal.stages.compare_report.run_compare_report`'s (the
    first part file of ``scores`` is read)."""
    top = max(budgets)
    curves = {(r["dataset"], r["variant"]): first_split(r["scores"][0], top) for r in runs}
    figure(runs, curves, attacks, top, png, pdf)
