"""The paper's published numbers (Watson et al., ICLR 2022, Tables 1-4), as data.

Transcribed from ``shared/paper/watson2022-difficulty-calibration.md``. Columns use
this project's attack names (``gap``, ``loss_orig``, ``loss_cal``, ``loss_calf``,
``gn_*``, ``confidence_*``). The paper gives only upper bounds of the standard
deviations, per table and dataset (:data:`STD_BOUNDS`).
"""

from __future__ import annotations

import io

import pandas as pd

ROWS = [
    "Credit",
    "Hep.",
    "Adult",
    "MNIST",
    "CIFAR10",
    "CIFAR100",
    "ImageNet",
    "CIFAR10 (aug.)",
    "CIFAR100 (aug.)",
]
ATTACKS = ["gap"] + [
    f"{s}_{c}" for s in ("loss", "gn", "confidence") for c in ("orig", "cal", "calf")
]

_TABLE1 = """row,train_acc,test_acc
Credit,0.921,0.751
Hep.,0.998,0.871
Adult,0.904,0.842
MNIST,0.990,0.989
CIFAR10,0.946,0.740
CIFAR100,0.938,0.373
ImageNet,0.773,0.637
"""

_TABLE2_AUC = """\
Credit          0.549 0.542 0.648 0.594 0.513 0.579 0.559 0.501 0.553 0.543
Hep.            0.535 0.514 0.558 0.559 0.515 0.553 0.548 0.513 0.525 0.533
Adult           0.514 0.516 0.554 0.529 0.510 0.523 0.515 0.507 0.510 0.512
MNIST           0.506 0.505 0.519 0.509 0.504 0.514 0.509 0.503 0.510 0.505
CIFAR10         0.663 0.676 0.731 0.708 0.678 0.787 0.762 0.629 0.635 0.631
CIFAR100        0.854 0.911 0.903 0.886 0.912 0.924 0.912 0.852 0.707 0.760
ImageNet        0.536 0.547 0.557 0.551 0.540 0.511 0.520 0.544 0.515 0.512
CIFAR10 (aug.)  0.603 0.603 0.690 0.674 0.603 0.666 0.707 0.560 0.568 0.575
CIFAR100 (aug.) 0.784 0.812 0.844 0.831 0.811 0.856 0.843 0.679 0.672 0.647
"""

_TABLE3_ACC = """\
Credit          0.589 0.617 0.618 0.577 0.569 0.573 0.567 0.557 0.554 0.555
Hep.            0.561 0.574 0.575 0.591 0.574 0.593 0.585 0.574 0.577 0.576
Adult           0.534 0.536 0.534 0.522 0.518 0.518 0.515 0.512 0.511 0.511
MNIST           0.506 0.508 0.513 0.509 0.508 0.511 0.508 0.507 0.508 0.506
CIFAR10         0.664 0.712 0.657 0.662 0.719 0.720 0.702 0.642 0.623 0.622
CIFAR100        0.854 0.911 0.829 0.862 0.915 0.876 0.898 0.820 0.731 0.711
ImageNet        0.536 0.542 0.545 0.542 0.538 0.518 0.521 0.540 0.541 0.553
CIFAR10 (aug.)  0.602 0.609 0.626 0.625 0.610 0.610 0.651 0.562 0.542 0.558
CIFAR100 (aug.) 0.784 0.785 0.765 0.775 0.788 0.793 0.789 0.647 0.641 0.621
"""

# Table 4: HopSkipJump label-only attack (boundary_orig / _cal / _calf here).
_TABLE4 = """row,auc_orig,auc_cal,auc_calf,acc_orig,acc_cal,acc_calf
Credit,0.552,0.640,0.599,0.616,0.620,0.638
Hep.,0.547,0.585,0.594,0.596,0.588,0.591
Adult,0.512,0.541,0.537,0.533,0.549,0.539
CIFAR10,0.660,0.686,0.620,0.665,0.666,0.623
CIFAR100,0.849,0.841,0.856,0.847,0.841,0.844
"""

#: Upper bounds on the standard deviation stated in the captions of Tables 2 and 3.
STD_BOUNDS = {
    "auc": {"Credit": 0.024, "Hep.": 0.034, "MNIST": 0.003, "*": 0.015},
    "acc": {"Credit": 0.018, "Hep.": 0.026, "MNIST": 0.002, "*": 0.005},
}


def _wide(text: str) -> pd.DataFrame:
    rows = []
    for line in text.strip().splitlines():
        (*name,) = line.rsplit(maxsplit=len(ATTACKS))
        rows.append([name[0], *map(float, name[1:])])
    return pd.DataFrame(rows, columns=["row", *ATTACKS]).set_index("row")


def table1() -> pd.DataFrame:
    """Target train/test accuracy, indexed by paper row name."""
    return pd.read_csv(io.StringIO(_TABLE1)).set_index("row")


def table2_auc() -> pd.DataFrame:
    """AUC per attack, indexed by paper row name."""
    return _wide(_TABLE2_AUC)


def table3_acc() -> pd.DataFrame:
    """Attack accuracy per attack, indexed by paper row name."""
    return _wide(_TABLE3_ACC)


def table4_label_only() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(_TABLE4)).set_index("row")


def std_bound(metric: str, row: str) -> float:
    """The caption's upper bound on the std of ``metric`` ('auc'/'acc') for ``row``."""
    bounds = STD_BOUNDS[metric]
    return bounds.get(row, bounds["*"])


def paper_per_split(rows: list[str]) -> pd.DataFrame:
    """The paper's Tables 2-4 for its ``rows`` in the shape of ``per_split`` (one
    "split"; label ``Paper: <row>``), so that the same checks run on its numbers.
    Claims that need metrics the paper does not tabulate come out ``not run``."""
    t2, t3, t4 = table2_auc(), table3_acc(), table4_label_only()
    out = []
    for row in rows:
        if row not in t2.index:
            continue
        for att in t2.columns:
            auc, acc = float(t2.loc[row, att]), float(t3.loc[row, att])
            out.append(
                {"label": f"Paper: {row}", "attack": att, "split": 0, "auc": auc, "acc": acc}
            )
        if row in t4.index:
            for c in ("orig", "cal", "calf"):
                out.append(
                    {
                        "label": f"Paper: {row}",
                        "attack": f"boundary_{c}",
                        "split": 0,
                        "auc": float(t4.loc[row, f"auc_{c}"]),
                        "acc": float(t4.loc[row, f"acc_{c}"]),
                    }
                )
    return pd.DataFrame(out, columns=["label", "attack", "split", "auc", "acc"])
