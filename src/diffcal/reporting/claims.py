"""The paper's claims of section 4.2 as checks on a run's per-split metrics.

Each claim is one line of the paper turned into a criterion on means over splits
(the criterion is printed next to the verdict); :func:`check_claims` evaluates
every claim on every row of a table and returns the verdict with the cells that
decide it. Verdicts: ``holds``, ``does not hold``, ``not run`` (the cells the
claim needs are not in this run), ``not claimed`` (the paper makes the claim for
other rows only). "Higher" is a difference of means; the intervals of the cells
are in the tables' CSVs.

``per_split``: one row per (label, attack, split) with the metric columns of the
attack stage's metrics.csv (``auc``, ``acc``, ``tau``, ``acc_tau0``,
``tpr_at_tau``, ``precision_at_tau``, ``tpr_at_fpr_0.01``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from diffcal.reporting.labels import CAL_LABELS, column_label

SCORES = ("loss", "gn", "confidence")
CALIBRATED = ("cal", "calf")


class _Row:
    """Means over splits of one table row's cells."""

    def __init__(self, frame: pd.DataFrame):
        self.f = frame
        # One split of the frame by attack, not a boolean filter per question
        # (the claims of a paper run ask a few hundred).
        self._by = dict(tuple(frame.groupby("attack", sort=False)))

    def has(self, attack: str, metric: str) -> bool:
        sel = self._by.get(attack)
        return metric in self.f.columns and sel is not None and sel[metric].notna().all()

    def mean(self, attack: str, metric: str) -> float:
        return float(self._by[attack][metric].mean())


Verdict = tuple[str, str]


def _pairs(row: _Row, metric: str, scores=SCORES) -> list[tuple[str, float, float]]:
    """(calibrated, orig, their means) for every score x calibration present."""
    out = []
    for s in scores:
        for c in CALIBRATED:
            if row.has(f"{s}_{c}", metric) and row.has(f"{s}_orig", metric):
                out.append(
                    (f"{s}_{c}", row.mean(f"{s}_{c}", metric), row.mean(f"{s}_orig", metric))
                )
    return out


def _list(items) -> str:
    return "; ".join(
        f"{column_label(a)} {x:.3f} vs {column_label(a.partition('_')[0] + '_orig')} {o:.3f}"
        for a, x, o in items
    )


def auc_up(row: _Row, _: str) -> Verdict:
    pairs = _pairs(row, "auc")
    if not pairs:
        return "not run", ""
    down = [p for p in pairs if p[1] <= p[2]]
    if not down:
        low = min(pairs, key=lambda p: p[1] - p[2])
        return "holds", f"{len(pairs)}/{len(pairs)} up; smallest: {_list([low])}"
    return "does not hold", f"{len(pairs) - len(down)}/{len(pairs)} up; not up: {_list(down)}"


def auc_up_010(row: _Row, paper_row: str) -> Verdict:
    if paper_row not in ("Credit", "CIFAR10"):
        return "not claimed", ""
    pairs = _pairs(row, "auc")
    if not pairs:
        return "not run", ""
    best = max(pairs, key=lambda p: p[1] - p[2])
    ok = best[1] - best[2] > 0.10
    return (
        "holds" if ok else "does not hold"
    ), f"largest: {_list([best])} (+{best[1] - best[2]:.3f})"


def acc_not_reduced(row: _Row, _: str) -> Verdict:
    pairs = _pairs(row, "acc")
    if not pairs:
        return "not run", ""
    kept = [p for p in pairs if p[1] >= p[2]]
    lower = [p for p in pairs if p[1] < p[2]]
    verdict = "holds" if 2 * len(kept) > len(pairs) else "does not hold"
    return verdict, f"{len(kept)}/{len(pairs)} not lower" + (
        f"; lower: {_list(lower)}" if lower else ""
    )


def conf_weakest(row: _Row, _: str) -> Verdict:
    cells, bad = [], []
    for c in ("orig", *CALIBRATED):
        names = [f"{s}_{c}" for s in SCORES]
        if not all(row.has(a, "auc") for a in names):
            continue
        loss, gn, conf = (row.mean(a, "auc") for a in names)
        cells.append(f"{CAL_LABELS[c]}: Conf {conf:.3f}, Loss {loss:.3f}, GN {gn:.3f}")
        if conf >= min(loss, gn):
            bad.append(c)
    if not cells:
        return "not run", ""
    return ("holds" if not bad else "does not hold"), "; ".join(cells)


def _loss_rate(row: _Row, metric: str) -> Verdict:
    atts = ["loss_orig", "loss_cal", "loss_calf"]
    present = [a for a in atts if row.has(a, metric)]
    if "loss_orig" not in present or len(present) < 2:
        return "not run", ""
    vals = {a: row.mean(a, metric) for a in present}
    ok = all(vals[a] > vals["loss_orig"] for a in present if a != "loss_orig")
    return ("holds" if ok else "does not hold"), ", ".join(
        f"{column_label(a)} {v:.3f}" for a, v in vals.items()
    )


def low_fpr(row: _Row, _: str) -> Verdict:
    parts = [(m, _loss_rate(row, m)) for m in ("tpr_at_fpr_0.01", "tpr_at_fpr_0.001")]
    parts = [(m, v) for m, v in parts if v[0] != "not run"]
    if not parts:
        return "not run", ""
    ok = all(v[0] == "holds" for _, v in parts)
    label = {"tpr_at_fpr_0.01": "TPR@1%FPR", "tpr_at_fpr_0.001": "TPR@0.1%FPR"}
    return ("holds" if ok else "does not hold"), "; ".join(f"{label[m]}: {v[1]}" for m, v in parts)


def high_precision(row: _Row, _: str) -> Verdict:
    verdict, cells = _loss_rate(row, "precision_at_recall_0.01")
    return verdict, f"precision@1%recall: {cells}" if cells else ""


def tau_tail(row: _Row, _: str) -> Verdict:
    atts = [a for a in ("loss_orig", "loss_cal", "loss_calf") if row.has(a, "tpr_at_tau")]
    if not atts or not all(row.has(a, "precision_at_recall_0.01") for a in atts):
        return "not run", ""
    cells, ok = [], True
    for a in atts:
        rec, fpr = row.mean(a, "tpr_at_tau"), row.mean(a, "fpr_at_tau")
        prec, top = row.mean(a, "precision_at_tau"), row.mean(a, "precision_at_recall_0.01")
        ok &= rec > 0.5 and prec < top
        cells.append(f"{column_label(a)}: recall {rec:.2f}, FPR {fpr:.2f}, precision {prec:.2f} "
                     f"(vs {top:.2f} at 1% recall)")  # fmt: skip
    return ("holds" if ok else "does not hold"), "; ".join(cells)


#: How far below the accuracy at the public-data tau the accuracy at tau = 0 may
#: fall for tau = 0 to count as "a good default".
TAU0_TOLERANCE = 0.01


def tau0_default(row: _Row, _: str) -> Verdict:
    atts = [f"{s}_{c}" for s in SCORES for c in CALIBRATED if row.has(f"{s}_{c}", "acc_tau0")]
    if not atts:
        return "not run", ""
    gaps = {a: row.mean(a, "acc") - row.mean(a, "acc_tau0") for a in atts}
    worst = max(gaps, key=gaps.get)
    ok = gaps[worst] <= TAU0_TOLERANCE
    tau = row.mean("loss_cal", "tau") if row.has("loss_cal", "tau") else np.nan
    return ("holds" if ok else "does not hold"), (
        f"largest loss of accuracy at tau = 0: {column_label(worst)} {gaps[worst]:+.3f} "
        f"({row.mean(worst, 'acc_tau0'):.3f} vs {row.mean(worst, 'acc'):.3f}); "
        f"{sum(g <= TAU0_TOLERANCE for g in gaps.values())}/{len(gaps)} within "
        f"{TAU0_TOLERANCE}; mean public tau of Loss Cal {tau:.4f}"
    )


def label_only(row: _Row, _: str) -> Verdict:
    if not row.has("boundary_orig", "auc"):
        return "not run", ""
    auc = _pairs(row, "auc", scores=("boundary",))
    acc = _pairs(row, "acc", scores=("boundary",))
    ok = all(x > o for _, x, o in auc) and all(x >= o - 0.01 for _, x, o in acc)
    return ("holds" if ok else "does not hold"), f"AUC: {_list(auc)}; accuracy: {_list(acc)}"


#: (key, the paper's claim in one line, criterion, check)
CLAIMS: list[tuple[str, str, str, Callable[[_Row, str], Verdict]]] = [
    ("auc_up", "Calibration raises the AUC of the loss, GN and confidence attacks (Table 2)",
     "mean AUC of Cal and of Cal-F > Orig, for every score", auc_up),
    ("auc_up_010", "The AUC increase can exceed 0.10, e.g. on German Credit",
     "largest Cal/Cal-F - Orig AUC > 0.10 (rows the paper names)", auc_up_010),
    ("acc_not_reduced", "Calibration does not reduce accuracy in most cases (Table 3)",
     "accuracy of Cal / Cal-F >= Orig in more than half of the 6 pairs", acc_not_reduced),
    ("conf_weakest", "Confidence-score attacks under-perform the other scores",
     "Conf AUC < min(Loss, GN) AUC, for Orig, Cal and Cal-F", conf_weakest),
    ("low_fpr", "At low FPR calibrated attacks beat the near-random uncalibrated one",
     "loss TPR at 1% and 0.1% FPR: Cal and Cal-F > Orig", low_fpr),
    ("high_precision", "Calibrated attacks reach high precision at low recall",
     "loss precision at 1% recall: Cal and Cal-F > Orig", high_precision),
    ("tau_tail", "The accuracy-optimal tau lies in the tail: high FPR and recall, low precision",
     "loss attacks at the public tau: recall > 0.5 and precision < precision at 1% recall",
     tau_tail),
    ("tau0_default", "For calibrated attacks tau slightly above 0 is a good default",
     f"accuracy at tau = 0 at most {TAU0_TOLERANCE} below that at the public tau, every "
     "calibrated attack", tau0_default),
    ("label_only", "Calibration raises label-only AUC with similar or better accuracy (Table 4)",
     "boundary AUC Cal and Cal-F > Orig; accuracy >= Orig - 0.01", label_only),
]  # fmt: skip

#: Claims of section 4.2 that no run here can test, and why.
NOT_TESTABLE = [
    ("Data augmentation lowers every attack, and calibration still helps (CIFAR10/100 "
     "with augmentation rows)", "no augmented CIFAR model is trained in these configs"),
    ("Label-only gains are smaller on CIFAR10/100 than the score-based gains",
     "no CIFAR10/100 label-only run (CPU budget)"),
]  # fmt: skip


def check_claims(per_split: pd.DataFrame, paper_rows: Mapping[str, str]) -> pd.DataFrame:
    """Every claim on every row label: columns claim, label, verdict, cells.
    ``paper_rows``: our row label -> the paper's row (for claims the paper makes
    for named rows only; labels missing from it count as unnamed)."""
    rows = []
    for key, _, _, fn in CLAIMS:
        for label, frame in per_split.groupby("label", sort=False):
            verdict, cells = fn(_Row(frame), paper_rows.get(label, ""))
            rows.append({"claim": key, "label": label, "verdict": verdict, "cells": cells})
    return pd.DataFrame(rows, columns=["claim", "label", "verdict", "cells"])


def paper_per_split(rows: list[str]) -> pd.DataFrame:
    """The paper's Tables 2-4 for its ``rows`` in the shape of ``per_split`` (one
    "split"; label ``Paper: <row>``), so that the same checks run on its numbers.
    Claims that need metrics the paper does not tabulate come out ``not run``."""
    from diffcal.reporting import paper

    t2, t3, t4 = paper.table2_auc(), paper.table3_acc(), paper.table4_label_only()
    out = []
    for row in rows:
        if row not in t2.index:
            continue
        for att in t2.columns:
            auc, acc = float(t2.loc[row, att]), float(t3.loc[row, att])
            out.append({"label": f"Paper: {row}", "attack": att, "split": 0,
                        "auc": auc, "acc": acc})  # fmt: skip
        if row in t4.index:
            for c in ("orig", *CALIBRATED):
                out.append({"label": f"Paper: {row}", "attack": f"boundary_{c}", "split": 0,
                            "auc": float(t4.loc[row, f"auc_{c}"]),
                            "acc": float(t4.loc[row, f"acc_{c}"])})  # fmt: skip
    return pd.DataFrame(out, columns=["label", "attack", "split", "auc", "acc"])


def claims_markdown(checked: pd.DataFrame) -> str:
    """A verdict matrix (claims x rows), the deciding cells, and the claims not
    testable here. Rows labelled ``Paper: ...`` (:func:`paper_per_split`) are the
    same checks on the paper's published tables."""
    labels = list(dict.fromkeys(checked["label"]))
    short = {"holds": "holds", "does not hold": "**does not hold**", "not run": "not run",
             "not claimed": "-"}  # fmt: skip
    lines = ["# The paper's claims (section 4.2), checked on this run", "",
             "| Claim | Criterion | " + " | ".join(labels) + " |",
             "|---|---|" + "---|" * len(labels)]  # fmt: skip
    for key, text, criterion, _ in CLAIMS:
        sel = checked[checked["claim"] == key].set_index("label")
        cells = [
            "not tabulated"
            if lab.startswith("Paper: ") and sel.loc[lab, "verdict"] == "not run"
            else short[sel.loc[lab, "verdict"]]
            for lab in labels
        ]
        lines.append(f"| {text} | {criterion} | " + " | ".join(cells) + " |")
    lines += ["", "**Deciding cells** (means over splits):", "",
              "| Claim | Row | Verdict | Cells |", "|---|---|---|---|"]  # fmt: skip
    for key, *_ in CLAIMS:
        for _, r in checked[checked["claim"] == key].iterrows():
            if r["verdict"] in ("holds", "does not hold"):
                lines.append(f"| {key} | {r['label']} | {r['verdict']} | {r['cells']} |")
    lines += ["", "**Not testable here:**", ""]
    lines += [f"- {claim}: {why}." for claim, why in NOT_TESTABLE]
    return "\n".join(lines) + "\n"
