"""Our table cells beside the paper's: per-cell comparison (within the paper's std,
inside our interval), and counts per row and label group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.core.io import write_csv, write_text
from diffcal.reporting import paper
from diffcal.reporting.labels import column_label
from diffcal.reporting.tables import MIN_SPLITS_T_ONLY, fmt, table4_attacks
from diffcal.stats.intervals import t_quantile


def compare_with_paper(
    acc_long: pd.DataFrame,
    summary: pd.DataFrame,
    paper_rows: Mapping[str, str],
    attacks: Sequence[str],
) -> pd.DataFrame:
    """Our mean ± std next to the paper's value, per table cell.

    ``paper_rows``: our row label -> the paper's row name. A cell is flagged
    ``outside`` when |ours - paper| exceeds both our std and the paper's stated std
    bound (Table 1 has no stated std: our std alone).
    """
    rows = []
    t1, t2, t3 = paper.table1(), paper.table2_auc(), paper.table3_acc()
    # Table 4's columns are auc_orig, ..., acc_calf: keyed by metric and calibration.
    t4 = paper.table4_label_only()
    t4 = t4.rename(columns=lambda c: f"{c.partition('_')[2]}/{c.partition('_')[0]}")
    for label, prow in paper_rows.items():
        cells = [("Table 1", m, m, acc_long, t1, None) for m in ("train_acc", "test_acc")]
        cells += [("Table 2", a, "auc", summary, t2, "auc") for a in attacks]
        cells += [("Table 3", a, "acc", summary, t3, "acc") for a in attacks]
        cells += [
            ("Table 4", a, m, summary, t4, None)
            for m in ("auc", "acc")
            for a in table4_attacks(summary)
        ]
        for table, column, metric, source, ptable, bound_key in cells:
            row = _cell_row(table, label, prow, column, metric, source, ptable, bound_key)
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _cell_row(table, label, prow, column, metric, source, ptable, bound_key) -> dict | None:
    """One row of :func:`compare_with_paper` (None: a cell we or the paper lack)."""
    sel = (source["label"] == label) & (source["metric"] == metric)
    if "attack" in source.columns:
        sel &= source["attack"] == column
    pcol = column
    if table == "Table 4":  # boundary_cal + auc -> "cal/auc"
        pcol = f"{column.partition('_')[2]}/{metric}"
    if not sel.any() or prow not in ptable.index or pcol not in ptable.columns:
        return None
    ours = source[sel].iloc[0]
    pval = float(ptable.loc[prow, pcol])
    diff = ours["mean"] - pval
    bound = paper.std_bound(bound_key, prow) if bound_key else 0.0
    tol = max(bound, ours["std"] if np.isfinite(ours["std"]) else 0.0)
    name = column if table == "Table 1" else column_label(column)
    if table == "Table 4":
        name = f"{'AUC' if metric == 'auc' else 'Acc.'} {name}"
    lo, hi = ours.get("ci_low", np.nan), ours.get("ci_high", np.nan)
    known = bool(np.isfinite(lo) and np.isfinite(hi))
    consistent = (
        two_sample_consistent(diff, ours["std"], bound, ours["n_splits"]) if bound_key else pd.NA
    )
    return {
        "table": table,
        "label": label,
        "paper_row": prow,
        "column": name,
        "ours_mean": ours["mean"],
        "ours_std": ours["std"],
        "n_splits": ours["n_splits"],
        "ci_low": lo,
        "ci_high": hi,
        "ci_method": ours.get("ci_method", ""),
        "paper": pval,
        "diff": diff,
        "paper_std_bound": bound if bound_key else np.nan,
        "within_paper_std": (std_band(diff, bound) == STD_BANDS[0] if bound_key else pd.NA),
        "calibrated": bool(bound_key and column.endswith(("_cal", "_calf"))),
        "consistent_2sample": consistent,
        "outside": bool(abs(diff) > tol),
        "differs": bool(known and not lo <= pval <= hi),
    }


def two_sample_consistent(diff: float, std: float, bound: float, n: int) -> bool:
    """Whether |ours - paper| is within a two-sample 95 % t bound: both means over
    ``n`` splits, ours with sample std ``std``, the paper's with its stated std bound
    ``bound`` (taken as its std), ``2 (n - 1)`` degrees of freedom:
    ``|diff| <= t_0.975 * sqrt((std^2 + bound^2) / n)``. Unlike the within-std
    criterion it accounts for our own noise, and for the paper's mean being a mean."""
    if n < 2 or not np.isfinite(std):
        return bool(abs(diff) <= bound + 1e-12)
    return bool(abs(diff) <= t_quantile(0.975, 2 * (n - 1)) * np.sqrt((std**2 + bound**2) / n))


#: Bands of |ours - paper| against the paper's std bound (comparison and counts).
STD_BANDS = ("within", "within 2x", "beyond 2x")


def std_band(diff: float, bound: float) -> str:
    """``within`` (|diff| <= bound), ``within 2x`` or ``beyond 2x``; ``""`` where the
    paper states no bound (NaN)."""
    if not np.isfinite(bound):
        return ""
    d = abs(diff)
    return STD_BANDS[0] if d <= bound + 1e-12 else STD_BANDS[1 if d <= 2 * bound + 1e-12 else 2]


#: Columns of comparison_with_paper.csv. ``within_paper_std``: |diff| <= the std
#: bound the paper's caption states (Tables 2-3 only); ``outside``: |diff| exceeds
#: both that bound and our std; ``differs``: the paper's value lies outside our 95 %
#: interval (``ci_low``..``ci_high``, method in ``ci_method``) - the only flag
#: that marks a real difference. ``calibrated``: a Cal / Cal-F cell of Tables 2-3;
#: ``consistent_2sample``: :func:`two_sample_consistent` (Tables 2-3).
COMPARISON_COLUMNS = [
    "table",
    "label",
    "paper_row",
    "column",
    "ours_mean",
    "ours_std",
    "n_splits",
    "ci_low",
    "ci_high",
    "ci_method",
    "paper",
    "diff",
    "paper_std_bound",
    "within_paper_std",
    "calibrated",
    "consistent_2sample",
    "outside",
    "differs",
]


def agreement_counts(cmp: pd.DataFrame) -> pd.DataFrame:
    """Per table and row label: cells, cells within the paper's std bound, within
    twice it, beyond it (Tables 2-3 only; NaN elsewhere), and cells whose paper
    value lies outside our 95 % interval (``differs``)."""
    rows = []
    order = cmp.assign(
        _t=pd.Categorical(cmp["table"], categories=list(dict.fromkeys(cmp["table"])))
    )
    order = order.sort_values("_t", kind="stable").drop(columns="_t")
    for (table, label), g in order.groupby(["table", "label"], sort=False):
        row = {
            "table": table,
            "label": label,
            "cells": len(g),
            "within_std": pd.NA,
            "within_2std": pd.NA,
            "beyond_2std": pd.NA,
            "cal_cells": pd.NA,
            "cal_within_std": pd.NA,
            "consistent_2sample": pd.NA,
            "differs": int(g["differs"].sum()),
        }
        bands = [std_band(d, b) for d, b in zip(g["diff"], g["paper_std_bound"], strict=True)]
        if any(bands):
            for col, band in zip(
                ("within_std", "within_2std", "beyond_2std"), STD_BANDS, strict=True
            ):
                row[col] = bands.count(band)
            cal = g["calibrated"].astype(bool).to_numpy()
            row["cal_cells"] = int(cal.sum())
            row["cal_within_std"] = sum(
                b == STD_BANDS[0] for b, c in zip(bands, cal, strict=True) if c
            )
            row["consistent_2sample"] = int(g["consistent_2sample"].astype(bool).sum())
        rows.append(row)
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)


#: Columns of comparison_counts.csv (the std criteria for Tables 2-3 only).
COUNT_COLUMNS = [
    "table",
    "label",
    "cells",
    "within_std",
    "within_2std",
    "beyond_2std",
    "cal_cells",
    "cal_within_std",
    "consistent_2sample",
    "differs",
]


def write_comparison(acc_long, summary, paper_rows, attacks, out_dir: str) -> None:
    """comparison_with_paper.{md,csv} and comparison_counts.{md,csv}; ``paper_rows``:
    our row label -> the paper's row."""
    cmp = compare_with_paper(acc_long, summary, paper_rows, attacks)
    write_csv(cmp, f"{out_dir}/comparison_with_paper.csv")
    lines = ["# Our results next to the paper's", ""]
    if cmp.empty:
        lines.append("No dataset in this config maps to a row of the paper (`paper_row`).")
    for table, grp in cmp.groupby("table", sort=False):
        lines += [
            f"## {table}",
            "",
            "| Dataset | Column | Ours | 95% interval | Paper | Diff | Paper's std | |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for _, r in grp.iterrows():
            ci = (
                f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
                if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])
                else "n/a"
            )
            std = std_band(r["diff"], r["paper_std_bound"])
            flag = "**differs**" if r["differs"] else ""
            ours = fmt(r["ours_mean"], r["ours_std"])
            lines.append(
                f"| {r['label']} | {r['column']} | {ours} | {ci} | {r['paper']:.3f}"
                f" | {r['diff']:+.3f} | {std} | {flag} |"
            )
        lines.append("")
    lines.append(
        "Ours: mean ± sample std over splits. 95% interval: Student-t over splits, united "
        f"with a bootstrap within splits (members and non-members resampled, "
        f"models and tau fixed) when a row has fewer than {MIN_SPLITS_T_ONLY} splits "
        "(method per cell in the CSV). **differs**: the paper's value lies outside that "
        "interval - the only mark of a real difference. Paper's std: |diff| against the "
        "std bound stated in the paper's caption (Tables 2-3; Tables 1 and 4 state none)."
    )
    write_text(f"{out_dir}/comparison_with_paper.md", "\n".join(lines) + "\n")
    write_counts(cmp, f"{out_dir}/comparison_counts")


def label_group(label: str) -> str:
    """The trailing parenthetical of a row label (``Credit (OpenML, softmax)`` ->
    ``OpenML, softmax``; none -> ``""``): rows of one config variant share it."""
    return label[label.rindex("(") + 1 : -1] if label.endswith(")") and "(" in label else ""


def write_counts(cmp: pd.DataFrame, prefix: str) -> None:
    """Per table and row, and totalled over the rows of each label group
    (:func:`label_group`): cells within the paper's std bound, within twice it,
    beyond, and cells where the paper's value lies outside our 95 % interval."""
    counts = agreement_counts(cmp)
    cols = COUNT_COLUMNS[2:]
    counts["group"] = counts["label"].map(label_group)
    totals = counts.groupby(["table", "group"], sort=False)[cols].sum(min_count=1).reset_index()
    totals["label"] = "all rows" + totals["group"].map(lambda g: f" ({g})" if g else "")
    both = pd.concat([counts, totals], ignore_index=True).drop(columns="group")
    both = both.sort_values("table", kind="stable").reset_index(drop=True)
    write_csv(both, f"{prefix}.csv")
    lines = [
        "# Cells of Tables 1-4 within the paper's stated std, and real differences",
        "",
        "| Table | Rows | Cells | Within paper's std | Within 2x | Beyond 2x | "
        "Cal / Cal-F cells | of them within std | Two-sample consistent | Differs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in both.iterrows():
        cells = [r["table"], r["label"], *(r[c] for c in cols)]
        lines.append("| " + " | ".join("" if pd.isna(c) else str(c) for c in cells) + " |")
    lines += [
        "",
        "Paper's std: |ours - paper| against the std bound stated in the paper's "
        "caption (Tables 2-3 only; Tables 1 and 4 state none). Cal / Cal-F cells: the "
        "calibrated cells (the paper's subject) and how many of them lie within the "
        "paper's std. Two-sample consistent: |ours - paper| <= t(0.975, 2(T-1)) x "
        "sqrt((our std^2 + paper's bound^2) / T), T our splits - a criterion that counts "
        "our own noise and treats both values as means of T splits. Differs: the paper's "
        "value lies outside our 95% interval (comparison_with_paper.csv).",
    ]
    write_text(f"{prefix}.md", "\n".join(lines) + "\n")
