"""The encoding contract of a given target: a table + checkpoint trained on the
user's own preprocessing runs through ``source_kwargs.encoder`` with the target's
accuracy as the user measured it, and without it stops with one line naming the
contract instead of a silent report at chance."""

import sys

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, copy_workflow, snakemake

from diffcal.data import registry

ENCODING = '''import numpy as np


def encode(frame):
    """Min-max scaling, the columns in reverse order: not diffcal's encoding."""
    x = frame[list(frame.columns)[::-1]].to_numpy(np.float64)
    return (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
'''


def _table(path, n=600, seed=0):
    """Three classes decided by the first column alone; the others are noise on
    other scales."""
    rng = np.random.default_rng(seed)
    key = rng.uniform(0, 1, n)
    frame = pd.DataFrame(
        {
            "key": key,
            "big": rng.uniform(0, 1000, n),
            "neg": rng.uniform(-50, 50, n),
            "mid": rng.uniform(5, 6, n),
            "label": np.digitize(key, [1 / 3, 2 / 3]),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def _encode(frame):
    namespace = {}
    exec(ENCODING, namespace)  # the same function the config names
    return namespace["encode"](frame.drop(columns=["label"])).astype(np.float32)


def test_an_encoder_replaces_the_built_in_encoding_and_bad_ones_are_named(tmp_path):
    frame = _table(tmp_path / "t.csv")
    (tmp_path / "enc.py").write_text(ENCODING + "\n\ndef short(frame):\n    return [[0.0]]\n")
    d = registry.prepare("table", path=str(tmp_path / "t.csv"), encoder=f"{tmp_path}/enc.py:encode")
    np.testing.assert_array_equal(d.x, _encode(frame))
    np.testing.assert_array_equal(d.y, frame["label"])
    with pytest.raises(ValueError, match=r"encoder .*short.*returned shape \(1, 1\)"):
        registry.check_source_options(
            "table", {"path": str(tmp_path / "t.csv"), "encoder": f"{tmp_path}/enc.py:short"}
        )
    with pytest.raises(ValueError, match="options of the built-in encoding"):
        registry.check_source_options(
            "table",
            {
                "path": str(tmp_path / "t.csv"),
                "encoder": f"{tmp_path}/enc.py:encode",
                "categorical": ["neg"],
            },
        )


@pytest.mark.slow
def test_a_target_trained_on_its_own_encoding_is_audited_through_it_or_stopped(tmp_path):
    wd = copy_workflow(tmp_path / "wf")
    frame = _table(wd / "mine.csv")
    (wd / "my_encoding.py").write_text(ENCODING)
    x, y = _encode(frame), frame["label"].to_numpy()
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
    assert f"| Target | {acc:.3f} |" in report

    del ds["source_kwargs"]["encoder"]  # the pipeline's own encoding: same width
    (wd / "enc.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "all", "--cores", "2", "--configfile", "enc.yaml", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "datasets.mine.target: the given target classifies" in out
    assert "The encoding contract" in out and "datasets.mine.target.allow_weak: true" in out
