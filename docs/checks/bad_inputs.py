"""The bad-input matrix of issue 12: run `snakemake -n` on each bad config (or
command line) in a scratch copy of the workflow and print, per case, whether it
stopped before any job and the first line of its error.

    python docs/checks/bad_inputs.py            # prints a Markdown table

Every case must stop before any job; the exit status is 1 if one did not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
D = "datasets: {x: {source: sklearn_digits%s}}"

CASES: list[tuple[str, str | list[str]]] = [
    ("unknown source", "datasets: {x: {source: nope}}"),
    ("splits 0", D % ", splits: 0"),
    ("splits not an integer", D % ", splits: two"),
    ("unknown score", "attack: {scores: [loss, lira]}\n" + D % ""),
    ("unknown calibration", "attack: {calibrations: [orig, zz]}\n" + D % ""),
    ("unknown architecture", D % ", model: {arch: vit}"),
    ("unknown model option", D % ", model: {kwargs: {hidden_mul: 2}}"),
    ("unknown MLP head", D % ", model: {kwargs: {head: sigmoid}}"),
    ("unknown training key", D % ", train: {epochz: 3}"),
    ("epochs 0", D % ", train: {epochs: 0}"),
    ("negative learning rate", D % ", train: {lr: -0.1}"),
    ("unknown schedule", D % ", train: {schedule: step}"),
    ("figure split out of range", D % ", splits: 2" + "\nreport: {figure_split: 4}"),
    ("no datasets", "datasets: {}"),
    ("unknown source option", "datasets: {x: {source: imagenet, source_kwargs: {sise: 8}}}"),
    ("empty tuning grid", D % ", forget_tuning: {lr: []}"),
    ("fraction 1.0", D % ", split: {private_fraction: 1.0}"),
    ("fraction leaving a role empty", D % ", split: {private_fraction: 0.001}"),
    ("train_size above member pool", D % ", variants: {n: {train_size: 500}}"),
    ("duplicate fpr_levels", "attack: {fpr_levels: [0.01, 0.01]}\n" + D % ""),
    ("fpr level 1.5", "attack: {fpr_levels: [1.5]}\n" + D % ""),
    ("unknown top-level key", "atack: {}\n" + D % ""),
    ("unknown dataset key", D % ", trian: {}"),
    ("references 0", D % ", references: {scratch: 0}"),
    ("unknown variant key", D % ", variants: {v: {trian: {}}}"),
    ("variant targets_from unknown", D % ", variants: {r: {targets_from: nope}}"),
    ("targets_from with train", D % ", variants: {a: {}, r: {targets_from: a, train: {lr: 1}}}"),
    ("dp epsilon 0", D % ", variants: {e: {dp: {epsilon: 0}}}"),
    ("dp epsilon missing", D % ", variants: {e: {dp: {delta: 1.0e-5}}}"),
    ("dp delta 1", D % ", variants: {e: {dp: {epsilon: 1, delta: 1}}}"),
    ("ratio 1.5", "ablations: {ratio: {ratios: [1.5], datasets: {x: [plain]}}}\n" + D % ""),
    ("ratio 0", "ablations: {ratio: {ratios: [0], datasets: {x: [plain]}}}\n" + D % ""),
    (
        "K above references",
        "ablations: {references: {max_k: 4, datasets: {x: [plain]}}}\n"
        + D % ", references: {scratch: 3, forget: 5}",
    ),
    ("ablation of unknown variant", "ablations: {train_size: {x: [nope]}}\n" + D % ""),
    ("dp figure without dp variant", "ablations: {dp: {x: [plain]}}\n" + D % ""),
    ("label-only max_iter 0", D % ", label_only: {enabled: true, max_iter: 0}"),
    ("label-only max_eval negative", D % ", label_only: {enabled: true, max_eval: -1}"),
    (
        "label-only init_eval above max_eval",
        D % ", label_only: {enabled: true, init_eval: 500, max_eval: 100}",
    ),
    ("label-only points 0", D % ", label_only: {enabled: true, points: 0}"),
    ("label-only variant override 0", D % ", variants: {v: {label_only: {max_iter: 0}}}"),
    ("compare budget above references", "compare: {references: 4, budgets: [8]}\n" + D % ""),
    ("compare of unknown variant", "compare: {datasets: {x: [nope]}}\n" + D % ""),
    ("compare of unknown attack", "compare: {attacks: [lira]}\n" + D % ""),
    ("not a mapping", "- a\n- b\n"),
    ("YAML syntax error", "datasets: {x: [\n"),
    ("missing --configfile", ["--configfile", "does_not_exist.yaml"]),
    ("nested --config of wrong type", ["--config", "datasets={digits: {splits: two}}"]),
]


def first_error_line(text: str) -> str:
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(("config key", "WARNING")) or "Error" in s or "error" in s:
            if not s.startswith(("ConfigError in file", "File ", "Traceback")):
                return s[:160]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else "")[:160]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bad_inputs_"))
    for d in ("workflow", "config", "src", "envs", "profiles"):
        shutil.copytree(REPO / d, work / d, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "Snakefile", work / "Snakefile")
    print("| case | stopped before any job | first line of the error |")
    print("|---|---|---|")
    bad = 0
    for name, case in CASES:
        if isinstance(case, str):
            (work / "bad.yaml").write_text(case + "\n")
            args = ["--configfile", "bad.yaml"]
        else:
            args = case
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", "-n", "--cores", "1", *args],
            cwd=work,
            capture_output=True,
            text=True,
        )
        out = proc.stdout + proc.stderr
        stopped = proc.returncode != 0 and "Job stats" not in out
        bad += not stopped
        print(f"| {name} | {'yes' if stopped else '**NO**'} | `{first_error_line(out)}` |")
    shutil.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
