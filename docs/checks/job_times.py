"""Summed wall time of each dataset's jobs, from a Snakemake console log.

Usage: python docs/checks/job_times.py snakemake.log [--out PATH.md]  (a CSV beside it:
dataset, rule, minutes; rule "all" is the dataset's sum)
Jobs of different datasets overlap on a multi-core run, so the sums add up to
more than the run's wall time.
"""

import re
import sys
from collections import defaultdict
from datetime import datetime

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$")
FMT = "%a %b %d %H:%M:%S %Y"


def job_minutes(path: str) -> list[dict]:
    """Rows of (dataset, rule, minutes), each dataset's sum first as rule "all"."""
    start, dataset, rule_of = {}, {}, {}
    per_dataset: dict[str, float] = defaultdict(float)
    per_rule: dict[tuple[str, str], float] = defaultdict(float)
    stamp = None
    pending = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            m = STAMP.match(line)
            if m:
                stamp = datetime.strptime(" ".join(m.group(1).split()), FMT)
                continue
            m = re.match(r"^(?:local)?rule (\w+):$", line)
            if m:
                pending = {"rule": m.group(1), "t": stamp}
                continue
            if pending and line.strip().startswith("jobid:"):
                jid = int(line.split(":")[1])
                start[jid], rule_of[jid] = pending["t"], pending["rule"]
            if pending and line.strip().startswith("wildcards:"):
                m = re.search(r"dataset=([\w-]+)", line)
                if m:
                    dataset[jid] = m.group(1)
            m = re.match(r"^Finished jobid: (\d+)", line)
            if m:
                jid = int(m.group(1))
                if jid in start and jid in dataset:
                    secs = (stamp - start[jid]).total_seconds()
                    per_dataset[dataset[jid]] += secs
                    per_rule[(dataset[jid], rule_of[jid])] += secs
    rows = []
    for ds, secs in per_dataset.items():
        rows.append({"dataset": ds, "rule": "all", "minutes": round(secs / 60, 1)})
        rows += [
            {"dataset": d, "rule": r, "minutes": round(s / 60, 1)}
            for (d, r), s in sorted(per_rule.items())
            if d == ds
        ]
    return rows


if __name__ == "__main__":
    import pandas as pd

    from diffcal.reporting.docsync import split_out, write_generated

    args, out = split_out(sys.argv[1:])
    table = pd.DataFrame(job_minutes(args[0]))
    lines = []
    for ds, g in table.groupby("dataset", sort=False):
        rules = ", ".join(f"{r.rule} {r.minutes:.1f}" for r in g.itertuples() if r.rule != "all")
        lines.append(f"{ds}: {g.minutes.iloc[0]:.1f} min ({rules})")
    write_generated(
        out, "# Summed job time per dataset (minutes)\n\n" + "\n\n".join(lines) + "\n", table
    )
