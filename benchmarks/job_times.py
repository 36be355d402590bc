"""Job times of a finished Snakemake run, from its log (what `snakemake ... 2> log` printed).

Each job's time is from the timestamp above its ``rule ...:`` block to the one above
its ``Finished jobid: N`` line (1 s resolution; with ``--cores 2`` two jobs run at
once, so job times add up to more than the wall time). Prints the summed job time
per rule and the ``--top`` longest jobs with their wildcards.

    python benchmarks/job_times.py LOG [--top 5]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
RULE = re.compile(r"^(?:local)?rule (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")
FINISHED = re.compile(r"^Finished jobid: (\d+)")


def job_times(lines: list[str]) -> list[dict]:
    """One dict per finished job: ``rule``, ``wildcards``, ``seconds``."""
    stamp = None
    jobs: dict[str, dict] = {}
    current = None
    done = []
    for line in lines:
        line = line.rstrip("\n")
        if m := STAMP.match(line):
            stamp = datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y")
        elif m := RULE.match(line):
            current = {"rule": m.group(1), "start": stamp, "wildcards": ""}
        elif (m := JOBID.match(line)) and current is not None:
            jobs[m.group(1)] = current
        elif (m := WILDCARDS.match(line)) and current is not None:
            current["wildcards"] = m.group(1)
        elif (m := FINISHED.match(line)) and m.group(1) in jobs:
            job = jobs.pop(m.group(1))
            done.append({**job, "seconds": (stamp - job["start"]).total_seconds()})
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()
    with open(args.log, encoding="utf-8") as f:
        done = job_times(f.readlines())
    by_rule: dict[str, list[float]] = defaultdict(list)
    for j in done:
        by_rule[j["rule"]].append(j["seconds"])
    total = sum(j["seconds"] for j in done)
    print(f"{len(done)} jobs, summed job time {total:,.0f} s")
    print(f"{'rule':<16} {'jobs':>5} {'seconds':>9} {'share':>6}")
    for rule, ts in sorted(by_rule.items(), key=lambda kv: -sum(kv[1])):
        print(f"{rule:<16} {len(ts):>5} {sum(ts):>9,.0f} {sum(ts) / max(total, 1):>6.1%}")
    print(f"\ntop {args.top} jobs:")
    for j in sorted(done, key=lambda j: -j["seconds"])[: args.top]:
        print(f"{j['seconds']:>7,.0f} s  {j['rule']}  {j['wildcards']}")


if __name__ == "__main__":
    main()
