"""The encoding contract of a given target: a table + checkpoint trained on the
user's own preprocessing runs through ``source_kwargs.encoder`` with the target's
accuracy as the user measured it, and without it stops with one line naming the
contract instead of a silent report at chance."""

import json
import re
import sys

import numpy as np
import torch
import yaml
from builders import ENCODING, encode, write_table
from conftest import REPO, copy_workflow, snakemake


def test_a_target_trained_on_its_own_encoding_is_audited_through_it_or_stopped(tmp_path):
    wd = copy_workflow(tmp_path / "wf")
    frame = write_table(wd / "mine.csv")
    (wd / "my_encoding.py").write_text(ENCODING)
    x, y = encode(frame), frame["label"].to_numpy()
    members = np.sort(np.random.default_rng(1).choice(len(y), 240, replace=False))
    np.savetxt(wd / "members.txt", members, fmt="%d")
    sys.path.insert(0, str(REPO / "examples"))
    from models.small_mlp import make_model

    torch.manual_seed(0)
    model = make_model((4,), 3, width=32)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xm, ym = torch.from_numpy(x[members]), torch.from_numpy(y[members])
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xm), ym).backward()
        opt.step()
    torch.save(model.state_dict(), wd / "target.pt")
    with torch.no_grad():
        acc = float((model(xm).argmax(1) == ym).float().mean())
    assert acc > 0.9  # the target fits its members, on its own encoding
    ds = {
        "source": "table",
        "source_kwargs": {"path": "mine.csv", "encoder": "my_encoding.py:encode"},
        "model": {
            "arch": "python",
            "factory": "examples/models/small_mlp.py:make_model",
            "kwargs": {"width": 32},
        },
        "target": {"checkpoint": "target.pt", "members": "members.txt"},
        "split": {"private_fraction": 0.8},
        "splits": 1,
        "train": {"epochs": 3, "batch_size": 32},
        "forget": {"epochs": 1},
        "references": {"scratch": 1, "forget": 1},
    }
    cfg = {"name": "enc", "datasets": {"mine": ds}}
    (wd / "enc.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "all", "--cores", "2", "--configfile", "enc.yaml")
    report = (wd / "results/audit/mine/report.md").read_text()
    assert f"| Target | {acc:.3f} [" in report  # the member accuracy, then its interval

    del ds["source_kwargs"]["encoder"]  # the pipeline's own encoding: same width
    (wd / "enc.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "all", "--cores", "2", "--configfile", "enc.yaml", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "datasets.mine.target: the given target classifies" in out
    assert "The encoding contract" in out and "datasets.mine.target.allow_weak: true" in out
    # it stopped before any split, training or attack job
    started = set(re.findall(r"^(?:local)?rule (\w+):", out, flags=re.M))
    assert started - {"provenance"} == {"prepare", "check_target"}, started  # metadata only
    assert not (wd / "results/mine/target_check.json").exists()

    ds["target"]["allow_weak"] = True  # a deliberately weak target goes on, recorded
    (wd / "enc.yaml").write_text(yaml.safe_dump(cfg))
    check = "results/mine/target_check.json"
    snakemake(wd, check, "--cores", "2", "--configfile", "enc.yaml")
    recorded = json.loads((wd / check).read_text())
    assert recorded["fits"] is False and recorded["members"] == 240
    assert recorded["member_accuracy"] < acc - 0.3
