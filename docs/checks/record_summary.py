"""The summary that opens docs/reproduction.md, generated from the committed copies.

Usage: python docs/checks/record_summary.py [docs/reproduction/record_summary.md]
Reads the copies under ``docs/reproduction/`` (each run's ``claims.csv``,
``comparison_with_paper.csv``, ``comparison_counts.csv``, ``metrics_summary.csv``,
``provenance.json``, and the hypotheses' ``summary.csv``) and writes the summary
to OUT.md (else to stdout) and its counts as a CSV beside it (for the prose's value
markers). Nothing in it is typed by hand: rerun it after the
copies change (a test checks that the quoted file is this script's output).
"""

import json
import re
import sys
from pathlib import Path

import pandas as pd

from diffcal.reporting.docsync import write_generated

ROOT = Path(__file__).resolve().parents[2] / "docs/reproduction"
#: copy folder -> the config that produced it
RUNS = {
    "paper": "config/paper.yaml",
    "paper_fidelity": "config/paper_fidelity.yaml",
    "hypotheses": "config/hypotheses.yaml",
    "table1_targets": "config/table1_targets.yaml",
    "mnist_paper_recipe": "config/mnist_paper_recipe.yaml",
}
DATASETS = ("Credit", "Hep.", "Adult", "MNIST")


def _commit(run: str) -> str:
    path = ROOT / run / "provenance.json"
    if not path.is_file():
        return "not recorded (copied before provenance.json existed)"
    return f"`{json.loads(path.read_text())['commit'][:7]}`"


def runs_table() -> list[str]:
    lines = ["| copy (`docs/reproduction/`) | config | commit |", "|---|---|---|"]
    lines += [f"| `{r}/` | `{c}` | {_commit(r)} |" for r, c in RUNS.items()]
    return lines


def central_finding() -> tuple[list[str], list[dict]]:
    """Loss Orig / Cal / Cal-F AUC per dataset (ours, mean over splits [95 %
    interval], and the paper's), and the verdict of the claim that calibration raises the AUC."""
    comp = pd.read_csv(ROOT / "paper/comparison_with_paper.csv")
    claims = pd.read_csv(ROOT / "paper/claims.csv").set_index(["claim", "label"])
    lines = [
        "| dataset | Loss Orig | Loss Cal | Loss Cal-F | paper Orig / Cal / Cal-F | "
        "'calibration raises the AUC' |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for d in DATASETS:
        cells = comp[(comp["table"] == "Table 2") & (comp["label"] == d)].set_index("column")
        cols = ("Loss Orig", "Loss Cal", "Loss Cal-F")
        ours = [
            f"{cells.loc[c, 'ours_mean']:.3f} [{cells.loc[c, 'ci_low']:.3f}, "
            f"{cells.loc[c, 'ci_high']:.3f}]"
            for c in cols
        ]
        paper = " / ".join(f"{cells.loc[c, 'paper']:.3f}" for c in cols)
        verdict = claims.loc[("auc_up", d), "verdict"]
        lines.append(f"| {d} | " + " | ".join(ours) + f" | {paper} | {verdict} |")
        rows.append({"key": f"auc_up {d}", "value": verdict})
    return lines, rows


def counts_table() -> tuple[list[str], list[dict]]:
    counts = pd.read_csv(ROOT / "paper/comparison_counts.csv")
    every = counts[counts["label"] == "all rows"].set_index("table")
    lines = [
        "| table | cells | within the paper's std | within 2x | beyond 2x | "
        "paper's value outside our 95 % interval |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for table, r in every.iterrows():
        if pd.isna(r["within_std"]):  # Tables 1 and 4 state no std
            std = ("-", "-", "-")
        else:
            std = tuple(str(int(r[c])) for c in ("within_std", "within_2std", "beyond_2std"))
            rows.append({"key": f"{table} within_std", "value": std[0]})
        lines.append(f"| {table} | {int(r['cells'])} | " + " | ".join(std) + f" | {r['differs']} |")
    return lines, rows


def claims_table() -> tuple[list[str], list[dict]]:
    lines = ["| run | holds | contradicted | inconclusive | not run |", "|---|---|---|---|---|"]
    rows = []
    for run in RUNS:
        claims = pd.read_csv(ROOT / run / "claims.csv")
        ours = claims[~claims["label"].str.startswith("Paper")]
        n = ours["verdict"].value_counts()
        got = [int(n.get(v, 0)) for v in ("holds", "contradicted", "inconclusive", "not run")]
        lines.append(f"| `{run}` | " + " | ".join(map(str, got)) + " |")
        for verdict, count in zip(("holds", "contradicted", "inconclusive"), got[:3], strict=True):
            rows.append({"key": f"claims {run} {verdict}", "value": count})
    return lines, rows + ablation_counts()


def ablation_counts() -> list[dict]:
    """The verdicts of the ablations' claims table (``docs/ablations/ablations.md``,
    written by rule ``ablations_doc``), counted for the README's value markers."""
    text = (ROOT.parent / "ablations/ablations.md").read_text(encoding="utf-8")
    verdicts = re.findall(r"^\| \d \| [^|]+ \| [^|]+ \| \*\*(\w+)\*\* \|", text, re.M)
    return [
        {"key": f"claims ablations {v}", "value": verdicts.count(v)}
        for v in ("holds", "contradicted", "inconclusive")
    ]


def misses() -> list[str]:
    """Cells of Tables 2-3 (paper run) beyond twice the paper's stated std."""
    comp = pd.read_csv(ROOT / "paper/comparison_with_paper.csv")
    comp = comp[comp["paper_std_bound"].notna()]
    far = comp[(comp["ours_mean"] - comp["paper"]).abs() > 2 * comp["paper_std_bound"]]
    lines = ["| table | row | cell | ours | paper | ours - paper | paper's std |"]
    lines.append("|---|---|---|---|---|---|---|")
    for r in far.itertuples():
        diff = r.ours_mean - r.paper
        lines.append(
            f"| {r.table} | {r.label} | {r.column} | {r.ours_mean:.3f} | {r.paper:.3f} | "
            f"{diff:+.3f} | {r.paper_std_bound:.3f} |"
        )
    return lines


def tried() -> list[str]:
    """The hypotheses' rows: what was tried on the three tabular rows."""
    s = pd.read_csv(ROOT / "hypotheses/summary.csv")
    lines = [
        "| configuration | Table 2 within std (of 30) | Table 3 within std (of 30) | "
        "loss Cal / Cal-F within (of 6) | claims hold / contradicted / inconclusive |",
        "|---|---|---|---|---|",
    ]
    for r in s.itertuples():
        lines.append(
            f"| {r.config} | {r.t2_within} | {r.t3_within} | {r.loss_cal_within} | "
            f"{r.holds} / {r.contradicted} / {r.inconclusive} |"
        )
    return lines


def _hypothesis_names() -> list[str]:
    """The configurations' descriptions, in summary.csv's order (hypotheses.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hypotheses", Path(__file__).with_name("hypotheses.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CONFIGS)


INTRO = """\
The paper (Watson et al., ICLR 2022) claims that *difficulty calibration* - judging a
sample's attack score against the same score under reference models that never saw
it - makes membership inference attacks far more precise. Terms used below: **Orig**
the uncalibrated attack; **Cal** calibrated by reference models trained from scratch
on public data (paper eq. 5: the target's score minus the references' mean);
**Cal-F** calibrated by references made by fine-tuning the target on public data
("calibration via forgetting"); **Loss**, **GN** (gradient norm) and **Conf**
(confidence) the attack scores; **Gap** the train-test gap attack; **tau** an
attack's decision threshold. Means are over 5 data splits (a new target and
references per split); intervals are 95 % (`ci_method` in each CSV). Verdicts:
**holds** when every effect the claim needs has its 95 % interval above zero,
**contradicted** when one lies below, **inconclusive** otherwise (`claims.md` of
each run).
"""


def summary() -> tuple[str, pd.DataFrame]:
    finding, f_rows = central_finding()
    counts, c_rows = counts_table()
    claims, k_rows = claims_table()
    names = _hypothesis_names()
    tried_lines = tried()
    for i, name in enumerate(names):  # codes -> descriptions, in order
        head, _, rest = tried_lines[2 + i].partition(" | ")
        tried_lines[2 + i] = f"| {name} | {rest}"
    parts = [
        "## Summary (generated)",
        "",
        INTRO,
        "### The central finding: does calibration raise the loss attack's AUC?",
        "",
        "Table 2's loss cells (`config/paper.yaml`, `docs/reproduction/paper/`), and the "
        "verdict of the paper's claim that calibration raises the AUC of every score "
        "(loss, GN, Conf; Cal and Cal-F):",
        "",
        *finding,
        "",
        "### Tables 1-4 against the paper (`config/paper.yaml`)",
        "",
        *counts,
        "",
        "### The paper's claims (section 4.2), per run",
        "",
        *claims,
        "",
        "### Cells beyond twice the paper's stated std (`config/paper.yaml`)",
        "",
        *misses(),
        "",
        "### What was tried on the tabular rows (Tables 2-3; `config/hypotheses.yaml`, "
        "`config/table1_targets.yaml`)",
        "",
        *tried_lines,
        "",
        "### Runs behind this page",
        "",
        *runs_table(),
    ]
    return "\n".join(parts) + "\n", pd.DataFrame(f_rows + c_rows + k_rows)


if __name__ == "__main__":
    write_generated(sys.argv[1:], *summary())
