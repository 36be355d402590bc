"""Stages ``tables`` and ``figures``: the paper's Tables 1-3 and Figures 1-2."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks import metrics
from diffcal.attacks.calibration import LABEL_ONLY
from diffcal.attacks.intervals import bootstrap_means, t_interval, weighted_accuracy, weighted_auc
from diffcal.core.io import atomic_path, write_csv, write_text
from diffcal.core.seeds import derive_seed
from diffcal.reporting import claims, paper
from diffcal.reporting.labels import CAL_LABELS, SCORE_LABELS, column_label

log = logging.getLogger("diffcal")


def fmt(mean: float, std: float, digits: int = 3) -> str:
    """``0.612 ± 0.013``; the mean alone when std is undefined (one split)."""
    if not np.isfinite(mean):
        return "n/a"
    if not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def mean_std(values: pd.Series) -> tuple[float, float, int]:
    """Mean and sample standard deviation (ddof=1) over splits."""
    v = values.to_numpy(dtype=np.float64)
    std = float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
    return float(np.mean(v)), std, len(v)


class PartFiles:
    """The part files of a tables job, each read once: a part file holds a ``split``
    column, serves several runs, and is used by :func:`collect` and
    :func:`bootstrap_intervals` alike. Kinds: ``metrics`` (metrics.csv),
    ``scores`` (scores.parquet, the target model's rows), ``attack``
    (attack_scores.parquet, the ``eval`` set), ``split`` (split.parquet)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    def read(self, path: str, kind: str) -> pd.DataFrame:
        if (path, kind) not in self._cache:
            if kind == "metrics":
                df = pd.read_csv(path)
            elif kind == "scores":
                df = pd.read_parquet(path, columns=["split", "model", "sample_id", "correct"])
                df = df[df["model"] == "target"]
            elif kind == "attack":
                df = pd.read_parquet(path)
                df = df[df["set"] == "eval"]
            else:
                df = pd.read_parquet(path)
            self._cache[path, kind] = df
        return self._cache[path, kind]

    def rows(self, path: str, kind: str, t: int) -> pd.DataFrame:
        """Split ``t``'s rows of a part file, without the ``split`` column."""
        df = self.read(path, kind)
        return df[df["split"] == t].drop(columns="split")

    def target(self, run: Mapping[str, Any]) -> pd.DataFrame:
        """The target model's rows of the run's split with each sample's role."""
        t = int(run["split"])
        roles = self.rows(run["split_file"], "split", t)
        return self.rows(run["scores"], "scores", t).merge(roles, on="sample_id")


def collect(
    runs: Sequence[Mapping[str, Any]], files: PartFiles | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the part files of every split. ``runs``: dicts with dataset, variant,
    label, split, and the paths of its part's metrics (csv), scores (parquet) and
    split file; each file holds a ``split`` column and may serve several runs.

    Returns the per-split attack metrics and per-split target accuracies.
    """
    files = files or PartFiles()
    m_frames, acc_rows = [], []
    for run in runs:
        keys = {k: run[k] for k in ("dataset", "variant", "label", "split")}
        m_frames.append(files.rows(run["metrics"], "metrics", int(run["split"])).assign(**keys))
        tgt = files.target(run)
        acc_rows.append(
            {
                **keys,
                "train_acc": float(tgt.loc[tgt["role"] == "member", "correct"].mean()),
                "test_acc": float(tgt.loc[tgt["role"] == "nonmember", "correct"].mean()),
            }
        )
    return pd.concat(m_frames, ignore_index=True), pd.DataFrame(acc_rows)


def bootstrap_intervals(
    runs: Sequence[Mapping[str, Any]],
    per_split: pd.DataFrame,
    *,
    files: PartFiles | None = None,
    n_boot: int | None = None,
) -> pd.DataFrame:
    """Bootstrap-within-splits 95 % intervals (:func:`diffcal.attacks.intervals.bootstrap_means`)
    of the table cells: target train / test accuracy (Table 1; members and
    non-members of the target resampled), and the ``auc`` and ``acc`` of every
    attack (eval members and non-members resampled; ``acc`` keeps each split's tau).
    Label-only columns use the samples that attack ran on. ``runs`` as
    :func:`collect`, plus ``attack_scores`` (the part's attack_scores.parquet).

    Returns rows of dataset, variant, label, attack ("" for Table 1), metric,
    boot_low, boot_high. Each split's resamples are seeded from (dataset, variant,
    split), so the tables are reproducible byte for byte.
    """
    kw = {} if n_boot is None else {"n_boot": n_boot}
    files = files or PartFiles()
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["dataset"], run["variant"], run["label"]), []).append(run)
    rows = []
    for (dataset, variant, label), group in groups.items():
        seeds = [derive_seed(0, "bootstrap", dataset, variant, int(r["split"])) for r in group]
        acc_splits, att_splits = [], []
        for run in group:
            t = int(run["split"])
            tgt = files.target(run)
            tgt = tgt[tgt["role"].isin(["member", "nonmember"])]
            y = (tgt["role"] == "member").to_numpy()
            ok = tgt["correct"].to_numpy(dtype=np.float64)
            acc_splits.append((y, {
                "train_acc": lambda w, y=y, ok=ok: (w @ (ok * y)) / (w @ y.astype(float)),
                "test_acc": lambda w, y=y, ok=ok: (w @ (ok * ~y)) / (w @ (~y).astype(float)),
            }))  # fmt: skip
            ev = files.rows(run["attack_scores"], "attack", t)
            met = per_split[(per_split["dataset"] == dataset) & (per_split["variant"] == variant)
                            & (per_split["split"] == t)].set_index("attack")  # fmt: skip
            y = ev["is_member"].to_numpy(dtype=bool)
            cells = {}
            for att in met.index:
                s = ev[att].to_numpy(dtype=np.float64)
                m = np.isfinite(s)  # label-only columns: the attacked samples
                ym, sm, tau = y[m], s[m], float(met.loc[att, "tau"])
                cells[("auc", att)] = lambda w, ym=ym, sm=sm, m=m: weighted_auc(ym, sm, w[:, m])
                cells[("acc", att)] = lambda w, ym=ym, sm=sm, m=m, tau=tau: weighted_accuracy(
                    ym, sm, tau, w[:, m]
                )
            att_splits.append((y, cells))
        keys = {"dataset": dataset, "variant": variant, "label": label}
        for metric, (lo, hi) in bootstrap_means(acc_splits, seeds=seeds, **kw).items():
            rows.append({**keys, "attack": "", "metric": metric, "boot_low": lo, "boot_high": hi})
        for (metric, att), (lo, hi) in bootstrap_means(att_splits, seeds=seeds, **kw).items():
            rows.append({**keys, "attack": att, "metric": metric, "boot_low": lo, "boot_high": hi})
    return pd.DataFrame(
        rows, columns=["dataset", "variant", "label", "attack", "metric", "boot_low", "boot_high"]
    )


#: Splits at or above which a cell's interval is the t-interval alone; below it,
#: the t-interval's standard deviation rests on few degrees of freedom and the
#: cell's interval is the union with the bootstrap within splits.
MIN_SPLITS_T_ONLY = 10

#: Appended to the notes of Tables 1-4.
INTERVAL_NOTE = " 95% interval of each cell: ci_low, ci_high in the CSV (method in ci_method)."

#: Metrics of metrics.csv that are not proportions (their intervals are not clipped).
UNBOUNDED_METRICS = ("tau", "n_members", "n_nonmembers")


def add_intervals(summary: pd.DataFrame, per_split: pd.DataFrame, by: Sequence[str],
                  boot: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Add ``t_low``, ``t_high`` (95 % Student-t over splits, every metric),
    ``boot_low``, ``boot_high`` (bootstrap within splits where ``boot`` has the
    cell) and the cell's interval ``ci_low``, ``ci_high`` with ``ci_method``:
    the t-interval when ``n_splits >= MIN_SPLITS_T_ONLY`` or there is no bootstrap,
    else the union of both (the cell differs from a value only if the value lies
    outside both). Intervals of proportions are clipped to [0, 1]."""
    t_rows = []
    for key, grp in per_split.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for metric in summary["metric"].unique():
            if metric in grp.columns:
                _, lo, hi = t_interval(grp[metric].to_numpy(dtype=np.float64))
                t_rows.append({**dict(zip(by, key, strict=True)), "metric": metric,
                               "t_low": lo, "t_high": hi})  # fmt: skip
    on = [*by, "metric"]
    out = summary.merge(pd.DataFrame(t_rows, columns=[*on, "t_low", "t_high"]), on=on, how="left")
    b = boot if "attack" in by else boot[boot["attack"] == ""].drop(columns="attack")
    out = out.merge(b[[*on, "boot_low", "boot_high"]], on=on, how="left")
    out[["boot_low", "boot_high"]] = out[["boot_low", "boot_high"]].astype(np.float64)
    has_boot = out["boot_low"].notna()
    union = has_boot & (out["n_splits"] < MIN_SPLITS_T_ONLY)
    only_boot = has_boot & out["t_low"].isna()
    use_boot = union | only_boot
    out["ci_low"] = np.where(use_boot, np.fmin(out["t_low"], out["boot_low"]), out["t_low"])
    out["ci_high"] = np.where(use_boot, np.fmax(out["t_high"], out["boot_high"]), out["t_high"])
    # Accuracies, AUCs, rates and precisions lie in [0, 1]; tau and counts do not.
    bounded = ~out["metric"].isin(UNBOUNDED_METRICS)
    for col in ("t_low", "t_high", "ci_low", "ci_high"):
        out[col] = np.where(bounded, out[col].clip(0.0, 1.0), out[col])
    out["ci_method"] = np.where(only_boot, "bootstrap within splits",
                                np.where(union, "t over splits | bootstrap within splits",
                                         "t over splits"))  # fmt: skip
    return out


def summarise(
    per_split: pd.DataFrame, value_cols: Sequence[str], by: Sequence[str]
) -> pd.DataFrame:
    """Long table: ``by`` columns + metric, mean, std, n_splits."""
    rows = []
    for key, grp in per_split.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for col in value_cols:
            mean, std, n = mean_std(grp[col])
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "metric": col,
                    "mean": mean,
                    "std": std,
                    "n_splits": n,
                }
            )
    return pd.DataFrame(rows)


def wide(summary: pd.DataFrame, metric: str, columns: Sequence[str]) -> pd.DataFrame:
    """Rows = dataset labels, columns = attacks, cells = 'mean ± std'."""
    s = summary[summary["metric"] == metric]
    labels = list(dict.fromkeys(s["label"]))
    data = {}
    for att in columns:
        cells = []
        for lab in labels:
            r = s[(s["label"] == lab) & (s["attack"] == att)]
            cells.append(fmt(r["mean"].iloc[0], r["std"].iloc[0]) if len(r) else "")
        data[column_label(att)] = cells
    return pd.DataFrame(data, index=pd.Index(labels, name="Dataset"))


def markdown_rows(df: pd.DataFrame) -> list[str]:
    """The lines of a Markdown table of ``df``, its index as the first column."""
    cols = [df.index.name or ""] + list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([str(idx), *map(str, row.to_list())]) + " |")
    return lines


def to_markdown(df: pd.DataFrame, title: str, note: str) -> str:
    return "\n".join([f"# {title}", "", *markdown_rows(df), "", note, ""])


def to_latex(df: pd.DataFrame) -> str:
    cols = [df.index.name or ""] + list(df.columns)
    lines = [
        r"\begin{tabular}{l" + "c" * len(df.columns) + "}",
        r"\toprule",
        " & ".join(cols) + r" \\",
        r"\midrule",
    ]
    for idx, row in df.iterrows():
        cells = [str(idx), *(c.replace("±", r"$\pm$") for c in row.to_list())]
        lines.append(" & ".join(cells) + r" \\")
    return "\n".join(lines + [r"\bottomrule", r"\end{tabular}", ""])


def write_table(df: pd.DataFrame, long: pd.DataFrame, prefix: str, title: str, note: str) -> None:
    write_text(f"{prefix}.md", to_markdown(df, title, note))
    write_text(f"{prefix}.tex", to_latex(df))
    write_csv(long, f"{prefix}.csv")


def run_tables(*, runs: Sequence[Mapping[str, Any]], out_dir: str, attacks: Sequence[str],
               n_boot: int | None = None) -> None:  # fmt: skip
    files = PartFiles()
    per_split, acc = collect(runs, files)
    boot = bootstrap_intervals(runs, per_split, files=files, n_boot=n_boot)
    n_splits = acc.groupby("label", sort=False)["split"].nunique()
    note = (
        "Mean ± sample standard deviation (ddof=1) over splits; splits per row: "
        + ", ".join(f"{k} {v}" for k, v in n_splits.items())
        + "."
        + INTERVAL_NOTE
    )

    acc_long = summarise(acc, ["train_acc", "test_acc"], ["dataset", "variant", "label"])
    acc_long = add_intervals(acc_long, acc, ["dataset", "variant", "label"], boot)
    t1 = pd.DataFrame(
        {
            col: [fmt(r["mean"], r["std"]) for _, r in acc_long[acc_long["metric"] == m].iterrows()]
            for col, m in [("Train Acc.", "train_acc"), ("Test Acc.", "test_acc")]
        },
        index=pd.Index(list(dict.fromkeys(acc_long["label"])), name="Task"),
    )
    write_table(
        t1, acc_long, f"{out_dir}/table1_target_accuracy", "Table 1: target model accuracy", note
    )

    metric_cols = [
        c
        for c in per_split.columns
        if c not in ("attack", "score", "calibration", "dataset", "variant", "label", "split")
    ]
    by = ["dataset", "variant", "label", "attack"]
    summary = add_intervals(summarise(per_split, metric_cols, by), per_split, by, boot)
    write_csv(summary, f"{out_dir}/metrics_summary.csv")
    for num, metric, title in [
        (2, "auc", "Table 2: AUC"),
        (3, "acc", "Table 3: attack accuracy (tau chosen on public data)"),
    ]:
        long = summary[summary["metric"] == metric].reset_index(drop=True)
        write_table(
            wide(summary, metric, attacks), long, f"{out_dir}/table{num}_{metric}", title, note
        )
    write_table4(summary, f"{out_dir}/table4_label_only")
    paper_rows = {r["label"]: r["paper_row"] for r in runs if r.get("paper_row")}
    write_comparison(acc_long, summary, paper_rows, attacks, out_dir)
    used = list(dict.fromkeys(paper_rows.values()))
    checked = pd.concat([claims.check_claims(per_split, paper_rows),
                         claims.check_claims(claims.paper_per_split(used), {
                             f"Paper: {r}": r for r in used})], ignore_index=True)  # fmt: skip
    write_csv(checked, f"{out_dir}/claims.csv")
    write_text(f"{out_dir}/claims.md", claims.claims_markdown(checked))
    log.info("wrote tables for %d rows to %s", len(t1), out_dir)


def label_only_attacks(summary: pd.DataFrame) -> list[str]:
    """The label-only attacks present (``boundary_orig``, ...), in calibration order."""
    present = set(summary["attack"]) if len(summary) else set()
    return [f"{LABEL_ONLY}_{c}" for c in CAL_LABELS if f"{LABEL_ONLY}_{c}" in present]


def write_table4(summary: pd.DataFrame, prefix: str) -> None:
    """Table 4: AUC and accuracy of the label-only attack, rows = the datasets that
    ran it (an empty table with a line saying so when none did)."""
    cols = label_only_attacks(summary)
    long = summary[summary["attack"].isin(cols) & summary["metric"].isin(["auc", "acc"])]
    long = long.reset_index(drop=True)
    parts = []
    for metric, head in (("auc", "AUC"), ("acc", "Acc.")):
        part = wide(long, metric, cols)
        part.columns = [f"{head} {CAL_LABELS[att.partition('_')[2]]}" for att in cols]
        parts.append(part)
    df = pd.concat(parts, axis=1)
    if df.empty:
        note = "No dataset in this config runs the label-only attack (`label_only.enabled`)."
    else:
        n = summary[(summary["attack"] == cols[0]) & (summary["metric"] == "n_members")]
        note = (
            "Mean ± sample standard deviation (ddof=1) over splits; splits per row: "
            + ", ".join(f"{r['label']} {r['n_splits']}" for _, r in n.iterrows())
            + "."
            + INTERVAL_NOTE
        )
        note += (" Label-only attack (HopSkipJump boundary distance); members attacked per "
                 "split (as many non-members): "
                 + ", ".join(f"{r['label']} {r['mean']:.0f}" for _, r in n.iterrows())
                 + ".")  # fmt: skip
    write_table(df, long, prefix,
                "Table 4: label-only attack (HopSkipJump boundary distance)", note)  # fmt: skip


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
        cells += [("Table 4", a, m, summary, t4, None)
                  for m in ("auc", "acc") for a in label_only_attacks(summary)]  # fmt: skip
        for table, column, metric, source, ptable, bound_key in cells:
            sel = (source["label"] == label) & (source["metric"] == metric)
            if "attack" in source.columns:
                sel &= source["attack"] == column
            pcol = column
            if table == "Table 4":  # boundary_cal + auc -> "cal/auc"
                pcol = f"{column.partition('_')[2]}/{metric}"
            if not sel.any() or prow not in ptable.index or pcol not in ptable.columns:
                continue
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
            rows.append({"table": table, "label": label, "paper_row": prow, "column": name,
                         "ours_mean": ours["mean"], "ours_std": ours["std"],
                         "n_splits": ours["n_splits"], "ci_low": lo, "ci_high": hi,
                         "ci_method": ours.get("ci_method", ""), "paper": pval, "diff": diff,
                         "paper_std_bound": bound if bound_key else np.nan,
                         "within_paper_std": (std_band(diff, bound) == STD_BANDS[0]
                                              if bound_key else pd.NA),
                         "outside": bool(abs(diff) > tol),
                         "differs": bool(known and not lo <= pval <= hi)})  # fmt: skip
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


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
#: that marks a real difference.
COMPARISON_COLUMNS = ["table", "label", "paper_row", "column", "ours_mean", "ours_std",
                      "n_splits", "ci_low", "ci_high", "ci_method", "paper", "diff",
                      "paper_std_bound", "within_paper_std", "outside", "differs"]  # fmt: skip


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
            "differs": int(g["differs"].sum()),
        }
        bands = [std_band(d, b) for d, b in zip(g["diff"], g["paper_std_bound"], strict=True)]
        if any(bands):
            for col, band in zip(("within_std", "within_2std", "beyond_2std"), STD_BANDS,
                                 strict=True):  # fmt: skip
                row[col] = bands.count(band)
        rows.append(row)
    return pd.DataFrame(rows, columns=["table", "label", "cells", "within_std", "within_2std",
                                       "beyond_2std", "differs"])  # fmt: skip


def write_comparison(acc_long, summary, paper_rows, attacks, out_dir: str) -> None:
    """comparison_with_paper.{md,csv} and comparison_counts.{md,csv}; ``paper_rows``:
    our row label -> the paper's row."""
    cmp = compare_with_paper(acc_long, summary, paper_rows, attacks)
    write_csv(cmp, f"{out_dir}/comparison_with_paper.csv")
    lines = ["# Our results next to the paper's", ""]
    if cmp.empty:
        lines.append("No dataset in this config maps to a row of the paper (`paper_row`).")
    for table, grp in cmp.groupby("table", sort=False):
        lines += [f"## {table}", "", "| Dataset | Column | Ours | 95% interval | Paper | Diff | "
                  "Paper's std | |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for _, r in grp.iterrows():
            ci = (
                f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
                if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])
                else "n/a"
            )
            std = std_band(r["diff"], r["paper_std_bound"])
            flag = "**differs**" if r["differs"] else ""
            ours = fmt(r["ours_mean"], r["ours_std"])
            lines.append(f"| {r['label']} | {r['column']} | {ours} | {ci} | {r['paper']:.3f}"
                         f" | {r['diff']:+.3f} | {std} | {flag} |")  # fmt: skip
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
    cols = ["cells", "within_std", "within_2std", "beyond_2std", "differs"]
    counts["group"] = counts["label"].map(label_group)
    totals = counts.groupby(["table", "group"], sort=False)[cols].sum(min_count=1).reset_index()
    totals["label"] = "all rows" + totals["group"].map(lambda g: f" ({g})" if g else "")
    both = pd.concat([counts, totals], ignore_index=True).drop(columns="group")
    both = both.sort_values("table", kind="stable").reset_index(drop=True)
    write_csv(both, f"{prefix}.csv")
    lines = ["# Cells of Tables 1-4 within the paper's stated std, and real differences", "",
             "| Table | Rows | Cells | Within paper's std | Within 2x | Beyond 2x | Differs |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for _, r in both.iterrows():
        cells = [r["table"], r["label"], *(r[c] for c in cols)]
        lines.append("| " + " | ".join("" if pd.isna(c) else str(c) for c in cells) + " |")
    lines += ["", "Paper's std: |ours - paper| against the std bound stated in the paper's "
              "caption (Tables 2-3 only; Tables 1 and 4 state none). Differs: the paper's value "
              "lies outside our 95% interval (comparison_with_paper.csv)."]  # fmt: skip
    write_text(f"{prefix}.md", "\n".join(lines) + "\n")


# --------------------------------------------------------------------------- figures


def _savefig(fig, png: str, pdf: str) -> None:
    """Save without timestamps or software versions, so the bytes are stable."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
    with atomic_path(pdf) as tmp:
        fig.savefig(
            tmp,
            format="pdf",
            metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
        )


def run_figures(
    *,
    attack_scores: str,
    metrics_csv: str,
    title: str,
    fig1: Sequence[str],
    fig2: Sequence[str],
    score: str = "loss",
    split: int = 0,
) -> None:
    """Figure 1 (histograms before/after calibration) and Figure 2 (ROC and
    precision-recall curves with the selected threshold) for ``score``.
    ``fig1``/``fig2``: (png path, pdf path); ``split``: the split drawn (the
    files hold every split of its part)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    df = pd.read_parquet(attack_scores)
    df = df[(df["set"] == "eval") & (df["split"] == split)]
    met = pd.read_csv(metrics_csv)
    met = met[met["split"] == split].set_index("attack")
    cals = [c for c in CAL_LABELS if f"{score}_{c}" in df.columns]
    member = np.where(df["is_member"], "member", "non-member")

    fig, axes = plt.subplots(1, len(cals), figsize=(4 * len(cals), 3.2), squeeze=False)
    for ax, cal in zip(axes[0], cals, strict=True):
        col = f"{score}_{cal}"
        values = df[col].to_numpy()
        # Scores pile up near 0 for well-fit samples: show the central 98% on a log
        # density axis, so the tails (where members and non-members differ) show.
        lo, hi = np.quantile(values, [0.01, 0.99])
        sns.histplot(
            x=np.clip(values, lo, hi),
            hue=member,
            hue_order=["member", "non-member"],
            bins=np.linspace(lo, hi, 41) if hi > lo else 40,
            stat="density",
            common_norm=False,
            element="step",
            ax=ax,
        )
        ax.set_yscale("log")
        if hi > lo:  # lowest visible density: half of one sample in one bin
            ax.set_ylim(bottom=0.5 / (len(values) * (hi - lo) / 40))
        ax.set_title(f"{column_label(col)} (AUC {met.loc[col, 'auc']:.3f})")
        ax.set_xlabel(f"{SCORE_LABELS.get(score, score)} score (1-99% quantile range)")
    fig.suptitle(f"{title}: {SCORE_LABELS.get(score, score)} score before/after calibration")
    fig.tight_layout()
    _savefig(fig, *fig1)
    plt.close(fig)

    y = df["is_member"].to_numpy()
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(9, 3.8))
    palette = sns.color_palette(n_colors=len(cals))
    for color, cal in zip(palette, cals, strict=True):
        col = f"{score}_{cal}"
        s = df[col].to_numpy()
        fpr, tpr = metrics.roc_points(y, s)
        rec, prec = metrics.pr_points(y, s)
        lab = f"{column_label(col)} (AUC {met.loc[col, 'auc']:.3f})"
        ax_roc.plot(fpr, tpr, color=color, label=lab)
        ax_pr.plot(rec, prec, color=color, label=column_label(col))
        r = met.loc[col]
        ax_roc.plot([r["fpr_at_tau"]], [r["tpr_at_tau"]], "o", color="red", zorder=5)
        ax_pr.plot([r["tpr_at_tau"]], [r["precision_at_tau"]], "o", color="red", zorder=5)
    ax_roc.plot([0, 1], [0, 1], ":", color="grey")
    ax_roc.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC")
    ax_pr.axhline(0.5, ls=":", color="grey")
    ax_pr.set(xlabel="Recall", ylabel="Precision", title="Precision-recall", ylim=(0.3, 1.02))
    ax_roc.legend(loc="lower right", fontsize=7)
    ax_pr.legend(loc="upper right", fontsize=7)
    fig.suptitle(f"{title}: red dot = accuracy-optimal tau chosen on public data")
    fig.tight_layout()
    _savefig(fig, *fig2)
    plt.close(fig)
