"""Stage ``tables``: the paper's Tables 1-4 with 95 % intervals, the comparison with
the paper's values, and the claims checklist."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from diffcal.core.io import write_csv, write_text
from diffcal.reporting import claims, paper
from diffcal.reporting.paper_comparison import write_comparison
from diffcal.reporting.tables import (
    INTERVAL_NOTE,
    PartFiles,
    add_intervals,
    bootstrap_intervals,
    collect,
    fmt,
    summarise,
    wide,
    write_table,
    write_table4,
)

log = logging.getLogger("diffcal")


def run_tables(*, runs: Sequence[Mapping[str, Any]], out_dir: str, attacks: Sequence[str]) -> None:
    files = PartFiles()
    per_split, acc = collect(runs, files)
    boot = bootstrap_intervals(runs, files)
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
    checked = pd.concat(
        [
            claims.check_claims(per_split, paper_rows),
            claims.check_claims(paper.paper_per_split(used), {f"Paper: {r}": r for r in used}),
        ],
        ignore_index=True,
    )
    write_csv(checked, f"{out_dir}/claims.csv")
    write_text(f"{out_dir}/claims.md", claims.claims_markdown(checked))
    log.info("wrote tables for %d rows to %s", len(t1), out_dir)
