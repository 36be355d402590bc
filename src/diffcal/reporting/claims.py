"""The paper's claims of section 4.2 as checks on a run's per-split metrics.

Each claim is one line of the paper turned into *effects* oriented so that a
positive value is what the claim says (the criterion is printed next to the
verdict), each with a Student-t 95 % interval over splits of its per-split values
(paired: both cells of a difference come from the split's models;
:mod:`diffcal.stats.verdicts`). Verdicts: ``holds`` (the interval of every
effect the claim needs lies above zero), ``contradicted`` (one lies below zero),
``inconclusive`` (otherwise; :func:`~diffcal.stats.verdicts.combine` says how
a claim's effects combine), and ``not run`` (the cells the claim needs are not in
this run), ``not claimed`` (the paper makes the claim for other rows only). On the
paper's published tables (one value per cell) the effects are points.

``per_split``: one row per (label, attack, split) with the metric columns of the
attack stage's metrics.csv (``auc``, ``acc``, ``tau``, ``acc_tau0``,
``tpr_at_tau``, ``precision_at_tau``, ``tpr_at_fpr_0.01``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from diffcal.reporting.labels import CAL_LABELS, column_label
from diffcal.stats.verdicts import (
    CONTRADICTED,
    HOLDS,
    INCONCLUSIVE,
    Effect,
    combine,
    paired_effect,
)

SCORES = ("loss", "gn", "confidence")
CALIBRATED = ("cal", "calf")

#: Non-inferiority margin of "does not reduce accuracy" / "similar accuracy": an
#: accuracy counts as not reduced unless it is more than this below Orig's.
ACC_MARGIN = 0.01


class _Row:
    """Per-split values of one table row's cells."""

    def __init__(self, frame: pd.DataFrame):
        self.f = frame
        # One split of the frame by attack, not a boolean filter per question
        # (the claims of a paper run ask a few hundred).
        self._by = {a: g.set_index("split") for a, g in frame.groupby("attack", sort=False)}

    def has(self, attack: str, metric: str) -> bool:
        sel = self._by.get(attack)
        return metric in self.f.columns and sel is not None and sel[metric].notna().all()

    def values(self, attack: str, metric: str) -> pd.Series:
        """(T,) the cell's values indexed by split."""
        return self._by[attack][metric]

    def mean(self, attack: str, metric: str) -> float:
        return float(self._by[attack][metric].mean())

    def effect(
        self, a: tuple[str, str], b: tuple[str, str] | None = None, shift: float = 0.0
    ) -> Effect:
        """Interval of ``a - b + shift`` over splits (paired by split); ``a``, ``b``:
        (attack, metric); ``b`` None: of ``a + shift``."""
        x = self.values(*a)
        if b is not None:
            y = self.values(*b)
            if not x.index.equals(y.index):
                raise ValueError(f"cells {a} and {b} cover different splits")
            x = x - y
        return paired_effect((x + shift).to_numpy())


Verdict = tuple[str, str]
Named = list[tuple[str, Effect]]


def _judge(effects: Named, rule: str = "all") -> Verdict:
    """Combine named effects; the text lists every effect that does not hold (all
    of them when none does), or the weakest one when all hold."""
    verdicts = [e.verdict for _, e in effects]
    verdict = combine(verdicts, rule)
    n, h = len(effects), verdicts.count(HOLDS)
    c = verdicts.count(CONTRADICTED)
    head = f"{h}/{n} hold, {c} contradicted"
    shown = [(name, e) for name, e in effects if e.verdict != HOLDS]
    if not shown:
        shown = [min(effects, key=lambda ne: ne[1].low)]
        head += "; weakest"
    return verdict, f"{head}: " + "; ".join(f"{name} {e.text()}" for name, e in shown)


def _pairs(row: _Row, metric: str, scores=SCORES, shift: float = 0.0) -> Named:
    """``<Score> <Cal> - Orig`` effects for every score x calibration present."""
    out = []
    for s in scores:
        for c in CALIBRATED:
            if row.has(f"{s}_{c}", metric) and row.has(f"{s}_orig", metric):
                name = f"{column_label(f'{s}_{c}')} - Orig" + (f" {shift:+g}" if shift else "")
                out.append((name, row.effect((f"{s}_{c}", metric), (f"{s}_orig", metric), shift)))
    return out


def auc_up(row: _Row, _: str) -> Verdict:
    pairs = _pairs(row, "auc")
    return _judge(pairs) if pairs else ("not run", "")


def auc_up_010(row: _Row, paper_row: str) -> Verdict:
    if paper_row not in ("Credit", "CIFAR10"):
        return "not claimed", ""
    pairs = _pairs(row, "auc", shift=-0.10)
    if not pairs:
        return "not run", ""
    verdict = combine([e.verdict for _, e in pairs], "any")
    name, best = max(pairs, key=lambda ne: ne[1].low)
    return verdict, f"largest lower bound: {name} {best.text()}"


def acc_not_reduced(row: _Row, _: str) -> Verdict:
    pairs = _pairs(row, "acc", shift=ACC_MARGIN)
    return _judge(pairs, "most") if pairs else ("not run", "")


def conf_weakest(row: _Row, _: str) -> Verdict:
    effects = []
    for c in ("orig", *CALIBRATED):
        conf = f"confidence_{c}"
        for s in ("loss", "gn"):
            if row.has(f"{s}_{c}", "auc") and row.has(conf, "auc"):
                effects.append(
                    (
                        f"{CAL_LABELS[c]}: {column_label(f'{s}_{c}').split()[0]} - Conf",
                        row.effect((f"{s}_{c}", "auc"), (conf, "auc")),
                    )
                )
    return _judge(effects) if effects else ("not run", "")


def _loss_rate(row: _Row, metric: str, label: str) -> Named:
    if not row.has("loss_orig", metric):
        return []
    return [(f"{label} {name}", e) for name, e in _pairs(row, metric, scores=("loss",))]


def fpr_resolution(row: _Row) -> str:
    """ "FPR resolution 1/n = ..." for the fewest non-members of a split (the smallest
    non-zero FPR a split can show; a TPR at a lower FPR is the TPR at FPR 0), or ""
    where the row has no counts (the paper's tables)."""
    if not row.has("loss_orig", "n_nonmembers"):
        return ""
    n = int(row.values("loss_orig", "n_nonmembers").min())
    below = [lab for lab, f in (("1%", 0.01), ("0.1%", 0.001)) if f < 1 / n]
    return f"; FPR resolution 1/{n} = {1 / n:.2g}" + (
        f" ({' and '.join(below)} FPR: TPR at FPR 0)" if below else ""
    )


def low_fpr(row: _Row, _: str) -> Verdict:
    effects = _loss_rate(row, "tpr_at_fpr_0.01", "TPR@1%FPR")
    effects += _loss_rate(row, "tpr_at_fpr_0.001", "TPR@0.1%FPR")
    if not effects:
        return "not run", ""
    verdict, cells = _judge(effects)
    return verdict, cells + fpr_resolution(row)


def high_precision(row: _Row, _: str) -> Verdict:
    effects = _loss_rate(row, "precision_at_recall_0.01", "precision@1%recall")
    return _judge(effects) if effects else ("not run", "")


def tau_tail(row: _Row, _: str) -> Verdict:
    atts = [a for a in ("loss_orig", "loss_cal", "loss_calf") if row.has(a, "tpr_at_tau")]
    if not atts or not all(row.has(a, "precision_at_recall_0.01") for a in atts):
        return "not run", ""
    effects = []
    for a in atts:
        effects.append(
            (f"{column_label(a)} recall at tau - 0.5", row.effect((a, "tpr_at_tau"), shift=-0.5))
        )
        effects.append(
            (
                f"{column_label(a)} precision at 1% recall - at tau",
                row.effect((a, "precision_at_recall_0.01"), (a, "precision_at_tau")),
            )
        )
    return _judge(effects)


#: How far below the accuracy at the public-data tau the accuracy at tau = 0 may
#: fall for tau = 0 to count as "a good default".
TAU0_TOLERANCE = 0.01


def tau0_default(row: _Row, _: str) -> Verdict:
    atts = [f"{s}_{c}" for s in SCORES for c in CALIBRATED if row.has(f"{s}_{c}", "acc_tau0")]
    if not atts:
        return "not run", ""
    # TAU0_TOLERANCE - (acc - acc_tau0) > 0: tau = 0 loses less than the tolerance
    effects = [
        (
            f"{column_label(a)}: {TAU0_TOLERANCE} - (acc - acc at tau 0)",
            row.effect((a, "acc_tau0"), (a, "acc"), TAU0_TOLERANCE),
        )
        for a in atts
    ]
    verdict, cells = _judge(effects)
    if row.has("loss_cal", "tau"):
        cells += f"; mean public tau of Loss Cal {row.mean('loss_cal', 'tau'):.4f}"
    return verdict, cells


def label_only(row: _Row, _: str) -> Verdict:
    if not row.has("boundary_orig", "auc"):
        return "not run", ""
    effects = [(f"AUC {n}", e) for n, e in _pairs(row, "auc", scores=("boundary",))]
    effects += [
        (f"accuracy {n}", e) for n, e in _pairs(row, "acc", scores=("boundary",), shift=ACC_MARGIN)
    ]
    return _judge(effects)


#: (key, the paper's claim in one line, criterion, check)
CLAIMS: list[tuple[str, str, str, Callable[[_Row, str], Verdict]]] = [
    (
        "auc_up",
        "Calibration raises the AUC of the loss, GN and confidence attacks (Table 2)",
        "Cal - Orig and Cal-F - Orig AUC > 0, every score (all 6)",
        auc_up,
    ),
    (
        "auc_up_010",
        "The AUC increase can exceed 0.10, e.g. on German Credit",
        "Cal/Cal-F - Orig AUC - 0.10 > 0 for one pair (rows the paper names)",
        auc_up_010,
    ),
    (
        "acc_not_reduced",
        "Calibration does not reduce accuracy in most cases (Table 3)",
        f"Cal/Cal-F - Orig accuracy + {ACC_MARGIN} > 0 in more than half of the 6 pairs "
        "(contradicted: below in at least half)",
        acc_not_reduced,
    ),
    (
        "conf_weakest",
        "Confidence-score attacks under-perform the other scores",
        "Loss - Conf and GN - Conf AUC > 0, for Orig, Cal and Cal-F",
        conf_weakest,
    ),
    (
        "low_fpr",
        "At low FPR calibrated attacks beat the near-random uncalibrated one",
        "loss TPR at 1% and 0.1% FPR: Cal - Orig and Cal-F - Orig > 0",
        low_fpr,
    ),
    (
        "high_precision",
        "Calibrated attacks reach high precision at low recall",
        "loss precision at 1% recall: Cal - Orig and Cal-F - Orig > 0",
        high_precision,
    ),
    (
        "tau_tail",
        "The accuracy-optimal tau lies in the tail: high FPR and recall, low precision",
        "loss attacks at the public tau: recall - 0.5 > 0 and precision at 1% recall - "
        "precision at tau > 0",
        tau_tail,
    ),
    (
        "tau0_default",
        "For calibrated attacks tau slightly above 0 is a good default",
        f"{TAU0_TOLERANCE} - (accuracy at the public tau - accuracy at tau = 0) > 0, every "
        "calibrated attack",
        tau0_default,
    ),
    (
        "label_only",
        "Calibration raises label-only AUC with similar or better accuracy (Table 4)",
        f"boundary Cal/Cal-F - Orig AUC > 0 and accuracy + {ACC_MARGIN} > 0",
        label_only,
    ),
]

#: Claims of section 4.2 that no run here can test, and why.
NOT_TESTABLE = [
    (
        "Data augmentation lowers every attack, and calibration still helps (CIFAR10/100 "
        "with augmentation rows)",
        "no augmented CIFAR model is trained in these configs",
    ),
    (
        "Label-only gains are smaller on CIFAR10/100 than the score-based gains",
        "no CIFAR10/100 label-only run (CPU budget)",
    ),
]


def check_claims(per_split: pd.DataFrame, paper_rows: Mapping[str, str]) -> pd.DataFrame:
    """Every claim on every row label: columns claim, label, verdict, n_splits,
    cells (the effects that decide it, each as mean [95 % interval]).
    ``paper_rows``: our row label -> the paper's row (for claims the paper makes
    for named rows only; labels missing from it count as unnamed)."""
    rows = []
    # One _Row per label for all claims (a _Row per claim and label was 1 s of a
    # tables job).
    labels = [
        (label, frame, _Row(frame)) for label, frame in per_split.groupby("label", sort=False)
    ]
    for key, _, _, fn in CLAIMS:
        for label, frame, row in labels:
            verdict, cells = fn(row, paper_rows.get(label, ""))
            rows.append(
                {
                    "claim": key,
                    "label": label,
                    "verdict": verdict,
                    "n_splits": frame["split"].nunique(),
                    "cells": cells,
                }
            )
    return pd.DataFrame(rows, columns=["claim", "label", "verdict", "n_splits", "cells"])


def claims_markdown(checked: pd.DataFrame) -> str:
    """A verdict matrix (claims x rows), the deciding effects, and the claims not
    testable here. Rows labelled ``Paper: ...``
    (:func:`diffcal.reporting.paper.paper_per_split`) are the same checks on the
    paper's published tables (points, no interval)."""
    labels = list(dict.fromkeys(checked["label"]))
    short = {
        HOLDS: "holds",
        CONTRADICTED: "**contradicted**",
        INCONCLUSIVE: "inconclusive",
        "not run": "not run",
        "not claimed": "-",
    }
    lines = [
        "# The paper's claims (section 4.2), checked on this run",
        "",
        "| Claim | Criterion | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for key, text, criterion, _ in CLAIMS:
        sel = checked[checked["claim"] == key].set_index("label")
        cells = [
            "not tabulated"
            if lab.startswith("Paper: ") and sel.loc[lab, "verdict"] == "not run"
            else short[sel.loc[lab, "verdict"]]
            for lab in labels
        ]
        lines.append(f"| {text} | {criterion} | " + " | ".join(cells) + " |")
    counts = checked["verdict"].value_counts()
    ours = checked[~checked["label"].str.startswith("Paper: ")]["verdict"].value_counts()
    lines += [
        "",
        "Verdicts: **holds** - the 95% interval of every effect the criterion "
        "needs lies above zero (for 'most' / 'can': of more than half / of one); "
        "**contradicted** - one lies below zero (for 'most': at least half; for 'can': "
        "all); **inconclusive** - otherwise. Intervals: Student-t over splits of the "
        "per-split effect (paired: both cells from the same split's models). Paper "
        "columns: the same criteria on the published means (points, no interval). "
        f"This run: {ours.get(HOLDS, 0)} hold, {ours.get(CONTRADICTED, 0)} contradicted, "
        f"{ours.get(INCONCLUSIVE, 0)} inconclusive (of "
        f"{sum(ours.get(v, 0) for v in (HOLDS, CONTRADICTED, INCONCLUSIVE))} judged); "
        f"all columns: {counts.get(HOLDS, 0)} / {counts.get(CONTRADICTED, 0)} / "
        f"{counts.get(INCONCLUSIVE, 0)}.",
        "",
        "**Deciding effects** (mean [95% interval] over splits):",
        "",
        "| Claim | Row | Splits | Verdict | Effects |",
        "|---|---|---|---|---|",
    ]
    for key, *_ in CLAIMS:
        for _, r in checked[checked["claim"] == key].iterrows():
            if r["verdict"] in (HOLDS, CONTRADICTED, INCONCLUSIVE):
                lines.append(
                    f"| {key} | {r['label']} | {r['n_splits']} | {r['verdict']} | {r['cells']} |"
                )
    lines += ["", "**Not testable here:**", ""]
    lines += [f"- {claim}: {why}." for claim, why in NOT_TESTABLE]
    return "\n".join(lines) + "\n"
