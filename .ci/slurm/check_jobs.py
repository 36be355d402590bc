"""Check that the workflow's non-local jobs ran as SLURM jobs with the resources
their rules declared. Reads `sacct` for jobs started since a given time.

usage: check_jobs.py SINCE CONFIG EXPECTED_JOBS
"""

import subprocess
import sys

import yaml

LOCAL = {
    "prepare",
    "split",
    "attack",
    "tables",
    "figures",
    "audit_scores",
    "audit_report",
    "compare_report",
    "all",
}
#: Rules whose resources are their own, not the dataset's: (cpus, mem_mb, gpus).
OWN_RESOURCES = {"compare_attack": (1, 4000, 0)}


def sacct(since: str) -> list[dict]:
    fields = ["JobID", "JobName", "State", "AllocTRES", "ReqMem", "Comment"]
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-S", since, "-o", ",".join(fields)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines() if line]


def main() -> None:
    since, config_path, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = yaml.safe_load(open(config_path))
    jobs = [j for j in sacct(since) if j["Comment"].startswith("rule_")]
    assert len(jobs) == expected, f"expected {expected} SLURM jobs, sacct shows {len(jobs)}"
    for j in jobs:
        rule, _, wildcards = j["Comment"][len("rule_") :].partition("_wildcards_")
        assert rule not in LOCAL, f"local rule {rule} was submitted: {j}"
        assert j["State"] == "COMPLETED", f"job {j['JobID']} ({rule}) is {j['State']}"
        dataset = next(d for d in cfg["datasets"] if wildcards.startswith(d + "_"))
        res = cfg["datasets"][dataset]["resources"]
        if rule in OWN_RESOURCES:
            cpus, mem, gpus = OWN_RESOURCES[rule]
            res = {"threads": cpus, "mem_mb": mem, "gpu": gpus}
        tres = dict(kv.split("=", 1) for kv in j["AllocTRES"].split(","))
        assert int(tres["cpu"]) == res["threads"], f"{rule}: cpu {tres['cpu']} != {res['threads']}"
        assert j["ReqMem"] == f"{res['mem_mb']}M", f"{rule}: mem {j['ReqMem']} != {res['mem_mb']}M"
        gpus = int(tres.get("gres/gpu", 0))
        assert gpus == res.get("gpu", 0), f"{rule}: {gpus} GPUs, config says {res.get('gpu', 0)}"
        print(
            f"ok {j['JobID']:>5} {rule:<14} {dataset:<14} cpu={tres['cpu']} "
            f"mem={j['ReqMem']} gpu={gpus} {j['State']}"
        )
    print(f"{len(jobs)} SLURM jobs checked")


if __name__ == "__main__":
    main()
