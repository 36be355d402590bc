"""How the references of a run trained: the epoch early stopping kept for each
scratch reference, and the forgetting recipe chosen per split with the candidates'
train accuracy against the shadow target's (the goal).

Run in the checkout that ran the workflow (it reads ``logs/`` and ``results/``):
python docs/checks/reference_training.py DATASET... [--out docs/reproduction/reference_training.md]
(a CSV beside the Markdown)
"""

import json
import re
import sys
from pathlib import Path

import pandas as pd

KEPT = re.compile(r"split(\d+) scratch0: kept epoch (\d+) of (\d+)")


def rows(root: Path, dataset: str) -> list[dict]:
    """One dict per split of ``dataset`` (variant ``plain``, every part folder)."""
    out = []
    for part in sorted((root / "results" / dataset / "plain").glob("split*")):
        log = root / "logs" / dataset / "plain" / part.name / "train_scratch0.log"
        kept = {int(s): (int(e), int(n)) for s, e, n in KEPT.findall(log.read_text())}
        tuning = json.loads((part / "forget_tuning.json").read_text())
        cands = pd.read_csv(part / "forget_tuning.csv")
        for split, choice in sorted(tuning.items(), key=lambda kv: int(kv[0])):
            c = cands[cands["split"] == int(split)]
            chosen = c[c["chosen"]].iloc[0]
            out.append(
                {
                    "dataset": dataset,
                    "split": int(split),
                    "scratch_kept_epoch": kept[int(split)][0],
                    "scratch_epochs": kept[int(split)][1],
                    "forget_batch_size": choice["chosen"].get("batch_size", ""),
                    "forget_lr": choice["chosen"]["lr"],
                    "goal_train_acc": choice["goal"]["train_acc"],
                    "chosen_train_acc": chosen["train_acc"],
                    "chosen_distance": round(float(chosen["distance"]), 4),
                    "candidates": len(c),
                    "candidates_train_acc_min": c["train_acc"].min(),
                    "candidates_train_acc_max": c["train_acc"].max(),
                }
            )
    return out


if __name__ == "__main__":
    from diffcal.reporting.docsync import split_out, write_generated

    args, out = split_out(sys.argv[1:])
    if not args:
        sys.exit(__doc__)
    table = pd.DataFrame([r for d in args for r in rows(Path("."), d)])
    text = "# How the references trained\n\n```\n" + table.to_string(index=False) + "\n```\n"
    write_generated(out, text, table)
