"""No hand-typed run numbers in the pages that quote the record's runs.

A number from a run must sit in a generated block or a value marker, where
``docsync check`` compares it with the run's files. This test finds every decimal
with three or more places in the prose of those pages (the precision of the
runs' AUCs and accuracies) outside blocks, markers and code fences, and fails
unless it is a value of the paper's Tables 1-4 or std bounds
(``diffcal.reporting.paper``) or listed in ``ALLOWED`` with what it is.
"""

import re
from pathlib import Path

from diffcal.reporting import docsync, paper

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "README.md",
    "docs/reproduction.md",
    "docs/ablations.md",
    "docs/comparison.md",
    "docs/audit.md",
    "docs/auditing.md",
    "docs/language_models.md",
]
# page -> {number as written: what it is (not a number a run computed)}
ALLOWED = {
    "docs/reproduction.md": {
        "0.975": "the t quantile's level",
        "0.313": "the softmax head's loss bound, log(1 + e^-1)",
        "1.313": "the softmax head's loss bound, log(1 + e)",
        "0.0001": "the paper's text, quoted",
        "0.003": "a learning-rate grid",
        "0.001": "a learning-rate grid",
        "0.026": "1 / 39, an FPR resolution",
        "0.004": "1 / 250, an FPR resolution",
        "+0.044": "the paper's Hepatitis gain, 0.558 - 0.514",
        "0.564": "0.5 + (0.998 - 0.871) / 2 from the paper's Table 1",
        "0.531": "0.5 + (0.904 - 0.842) / 2 from the paper's Table 1",
    },
    "docs/ablations.md": {"0.091": "1 / 11, chance precision at a 1:10 ratio"},
    "docs/comparison.md": {
        "0.085": "benchmarks/attack_cost.py at bf38817, named in the text",
        "0.064": "benchmarks/attack_cost.py at bf38817, named in the text",
        "0.029": "benchmarks/attack_cost.py at bf38817, named in the text",
    },
    "docs/language_models.md": {"0.001": "a learning rate"},
    "docs/auditing.md": {"0.00123": "1 - (0.05 / 2)^(1/3000), a Clopper-Pearson floor"},
}
#: what ``docsync check`` compares with its source (blocks, markers), and code fences
MASKS = [docsync.BLOCK, docsync.VALUE, re.compile(r"```.*?```", re.DOTALL)]
NUMBER = re.compile(r"(?<![\w.`/-])[-+−]?\d+\.\d{3,}(?![\w.])")


def paper_values() -> set[str]:
    """Every value of the paper's Tables 1-4 and its std bounds, as ``%.3f``."""
    frames = [paper.table1(), paper.table2_auc(), paper.table3_acc(), paper.table4_label_only()]
    values = {f"{v:.3f}" for df in frames for v in df.select_dtypes("number").to_numpy().ravel()}
    bounds = {f"{v:.3f}" for per_row in paper.STD_BOUNDS.values() for v in per_row.values()}
    return values | bounds


def hand_typed(text: str) -> list[tuple[int, str]]:
    """(line, number) of each 3+-place decimal outside blocks, markers and fences."""
    for mask in MASKS:
        text = mask.sub(lambda m: re.sub(r"[^\n]", "#", m.group(0)), text)
    return [
        (i, m.group(0))
        for i, line in enumerate(text.splitlines(), 1)
        for m in NUMBER.finditer(line)
    ]


def test_hand_typed_numbers_are_the_papers_or_named():
    known = paper_values()
    bad = []
    for page in PAGES:
        allowed = ALLOWED.get(page, {})
        for line, num in hand_typed((ROOT / page).read_text(encoding="utf-8")):
            if num not in allowed and num.lstrip("+-−") not in known:
                bad.append(f"{page}:{line}: {num}")
    assert not bad, "hand-typed numbers (use a value marker): " + ", ".join(bad)


def test_the_check_sees_a_typed_number_and_not_a_marked_one():
    text = (
        "AUC 0.612 here.\n<!-- value: a.csv x=1 auc .3f -->0.613<!-- /value -->\n```\n0.614\n```\n"
    )
    assert hand_typed(text) == [(1, "0.612")]
