"""Stages ``tables`` and ``figures``: the paper's Tables 1-3 and Figures 1-2."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.calibration import LABEL_ONLY
from diffcal.core.io import write_csv, write_text
from diffcal.reporting.labels import CAL_LABELS, column_label
from diffcal.stats.bootstrap import row_intervals
from diffcal.stats.intervals import t_interval


def fmt(mean: float, std: float, digits: int = 3) -> str:
    """``0.612 ± 0.013``; the mean alone when std is undefined (one split, or an
    infinite mean such as a non-private target's epsilon); ``n/a`` for a NaN mean.
    The one number formatter of the tables, the comparison and the ablations doc."""
    if np.isnan(mean):
        return "n/a"
    if not (np.isfinite(std) and np.isfinite(mean)):
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
    ``scores`` (scores.parquet, the target model's rows), ``split``
    (split.parquet), ``bootstrap`` (bootstrap.parquet)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    def read(self, path: str, kind: str) -> pd.DataFrame:
        if (path, kind) not in self._cache:
            if kind == "metrics":
                df = pd.read_csv(path)
            elif kind == "scores":
                # filtered while reading: 3x faster than converting the model column
                df = pd.read_parquet(
                    path,
                    columns=["split", "sample_id", "correct"],
                    filters=[("model", "==", "target")],
                )
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
    runs: Sequence[Mapping[str, Any]], files: PartFiles | None = None
) -> pd.DataFrame:
    """Bootstrap-within-splits 95 % intervals of the table cells, from the replicate
    values the attack jobs wrote (:mod:`diffcal.stats.bootstrap`): target train /
    test accuracy (Table 1; members and non-members of the target resampled), and
    the ``auc`` and ``acc`` of every attack (eval members and non-members
    resampled; ``acc`` keeps each split's tau). ``runs`` as :func:`collect`, plus
    ``bootstrap`` (the part's bootstrap.parquet).

    Returns rows of dataset, variant, label, attack ("" for Table 1), metric,
    boot_low, boot_high.
    """
    files = files or PartFiles()
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["dataset"], run["variant"], run["label"]), []).append(run)
    rows = []
    for (dataset, variant, label), group in groups.items():
        keys = {"dataset": dataset, "variant": variant, "label": label}
        cells = row_intervals(
            [files.rows(r["bootstrap"], "bootstrap", int(r["split"])) for r in group]
        )
        for (metric, att), (lo, hi) in cells.items():
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
UNBOUNDED_METRICS = ("tau", "n_members", "n_nonmembers", "epsilon_lb")

#: Unbounded metrics that cannot be negative (their intervals are clipped at 0).
NONNEGATIVE_METRICS = ("epsilon_lb",)


def add_intervals(
    summary: pd.DataFrame, per_split: pd.DataFrame, by: Sequence[str], boot: pd.DataFrame
) -> pd.DataFrame:
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
                t_rows.append(
                    {**dict(zip(by, key, strict=True)), "metric": metric, "t_low": lo, "t_high": hi}
                )
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
    out["ci_method"] = np.where(
        only_boot,
        "bootstrap within splits",
        np.where(union, "t over splits | bootstrap within splits", "t over splits"),
    )
    return out


def summarise(
    per_split: pd.DataFrame,
    value_cols: Sequence[str],
    by: Sequence[str],
    *,
    spread: str = "std",
) -> pd.DataFrame:
    """Long summary over splits, the one every report uses: one row per ``by`` key
    and metric (``value_cols``), with ``mean``, then the spread, then ``n_splits``.

    ``spread="std"``: ``std``, the sample standard deviation (ddof 1, NaN for one
    split). ``spread="t95"``: ``ci_low``, ``ci_high``, the 95 % Student-t interval
    of the mean over splits (:func:`diffcal.stats.intervals.t_interval`), clipped
    to [0, 1] for proportions (not for :data:`UNBOUNDED_METRICS`).
    """
    if spread not in ("std", "t95"):
        raise ValueError(f"spread must be 'std' or 't95', got {spread!r}")
    rows = []
    for key, grp in per_split.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for col in value_cols:
            row = {**dict(zip(by, key, strict=True)), "metric": col}
            if spread == "std":
                mean, std, n = mean_std(grp[col])
                row.update(mean=mean, std=std)
            else:
                mean, lo, hi = t_interval(grp[col])
                if not (np.isnan(lo) or col in UNBOUNDED_METRICS):
                    lo, hi = max(lo, 0.0), min(hi, 1.0)
                elif col in NONNEGATIVE_METRICS and not np.isnan(lo):
                    lo = max(lo, 0.0)
                row.update(mean=mean, ci_low=lo, ci_high=hi)
            rows.append({**row, "n_splits": len(grp)})
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


def table4_attacks(summary: pd.DataFrame) -> list[str]:
    """The label-only attacks present (``boundary_orig``, ...), in calibration order."""
    present = set(summary["attack"]) if len(summary) else set()
    return [f"{LABEL_ONLY}_{c}" for c in CAL_LABELS if f"{LABEL_ONLY}_{c}" in present]


def write_table4(summary: pd.DataFrame, prefix: str) -> None:
    """Table 4: AUC and accuracy of the label-only attack, rows = the datasets that
    ran it (an empty table with a line saying so when none did)."""
    cols = table4_attacks(summary)
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
        note += (
            " Label-only attack (HopSkipJump boundary distance); members attacked per "
            "split (as many non-members): "
            + ", ".join(f"{r['label']} {r['mean']:.0f}" for _, r in n.iterrows())
            + "."
        )
    write_table(
        df, long, prefix, "Table 4: label-only attack (HopSkipJump boundary distance)", note
    )
