"""Your trained target (``target: {checkpoint, members}``): member lists, splits
around given members, safe checkpoint loading, one-line errors, and an audit of the
pipeline's own target that gives the pipeline's own metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from diffcal.config.errors import ConfigError
from diffcal.config.load import prepare_config
from diffcal.data.members import read_members
from diffcal.data.splits import ids_with_role, make_split
from diffcal.training.checkpoint import load_checkpoint, load_into
from diffcal.training.models import build_model


@pytest.mark.parametrize("fmt", ["npy", "parquet", "txt", "csv_header"])
def test_members_files_in_every_format(tmp_path, fmt):
    ids = np.array([7, 3, 11, 0])
    path = tmp_path / f"m.{fmt.split('_')[0]}"
    if fmt == "npy":
        np.save(path, ids)
    elif fmt == "parquet":
        pd.DataFrame({"sample_id": ids}).to_parquet(path)
    elif fmt == "txt":
        path.write_text("\n".join(map(str, ids)) + "\n")
    else:
        path.write_text("sample_id\n" + "\n".join(map(str, ids)) + "\n")
    np.testing.assert_array_equal(read_members(path), [0, 3, 7, 11])


@pytest.mark.parametrize(
    "text, message",
    [
        ("1\n2\n2\n", "sample id 2 is repeated"),
        ("1\n-4\n", "negative"),
        ("1\n2.5\n", "must be integers"),
    ],
)
def test_bad_member_lists_are_one_line(tmp_path, text, message):
    (tmp_path / "m.txt").write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        read_members(tmp_path / "m.txt")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("n, seed", [(569, 0), (1797, 5), (155, 3), (1000, 11)])
def test_a_split_around_its_own_members_is_the_same_split(n, seed):
    """Oracle: the split make_split draws by itself."""
    own = make_split(n, seed=seed)
    again = make_split(n, seed=seed, members=ids_with_role(own, "member"))
    pd.testing.assert_frame_equal(own, again)


def test_given_members_keep_their_role_and_the_rest_follows_the_fractions():
    members = np.arange(0, 300, 3)  # 100 members
    sp = make_split(1000, seed=1, members=members, private_fraction=0.3)
    np.testing.assert_array_equal(ids_with_role(sp, "member"), members)
    counts = sp["role"].value_counts()
    assert counts["nonmember"] == 300 - 100 and counts.sum() == 1000
    with pytest.raises(ValueError, match="raise split.private_fraction"):
        make_split(1000, seed=1, members=np.arange(499), private_fraction=0.5)


def test_checkpoint_that_does_not_fit_names_the_first_key(tmp_path):
    model = build_model("mlp", (6,), 3, seed=0, hidden_mult=1)
    other = build_model("mlp", (7,), 3, seed=0, hidden_mult=1)
    torch.save(other.state_dict(), tmp_path / "c.pt")
    with pytest.raises(ValueError, match=r"'1.weight' has shape \(7, 7\), the model's is \(6, 6\)"):
        load_into(model, load_checkpoint(tmp_path / "c.pt"), "c.pt")
    torch.save({"state_dict": model.state_dict()}, tmp_path / "wrapped.pt")
    loaded = load_into(
        build_model("mlp", (6,), 3, seed=9, hidden_mult=1),
        load_checkpoint(tmp_path / "wrapped.pt"),
        "wrapped.pt",
    )
    assert torch.equal(loaded[1].weight, model[1].weight)


def test_pickled_model_checkpoint_is_refused(tmp_path):
    torch.save(build_model("mlp", (6,), 3, seed=0), tmp_path / "whole.pt")  # a module, pickled
    with pytest.raises(ValueError, match="weights_only=False") as err:
        load_checkpoint(tmp_path / "whole.pt")
    assert "\n" not in str(err.value)


def _cfg(tmp_path, members: str = "1\n5\n9\n", **extra) -> dict:
    (tmp_path / "m.txt").write_text(members)
    torch.save(build_model("mlp", (64,), 10, seed=0).state_dict(), tmp_path / "c.pt")
    ds = {
        "source": "sklearn_digits",
        "target": {"checkpoint": str(tmp_path / "c.pt"), "members": str(tmp_path / "m.txt")},
    }
    return {"datasets": {"d": {**ds, **extra}}}


@pytest.mark.parametrize(
    "members, extra, needles",
    [
        ("1\n1\n", {}, ["datasets.d.target.members", "sample id 1 is repeated"]),
        ("1\n1797\n", {}, ["datasets.d.target.members", "1797 >= 1797 rows"]),
        (
            "1\n2\n",
            {"variants": {"e": {"dp": {"epsilon": 1}}}},
            ["datasets.d.variants.e.dp", "retrains the target"],
        ),
    ],
)
def test_bad_given_target_is_one_line_before_any_job(tmp_path, members, extra, needles):
    with pytest.raises(ConfigError) as err:
        prepare_config(_cfg(tmp_path, members, **extra))
    msg = str(err.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg


def test_missing_checkpoint_is_one_line(tmp_path):
    cfg = _cfg(tmp_path)
    cfg["datasets"]["d"]["target"]["checkpoint"] = "nope.pt"
    with pytest.raises(ConfigError, match=r"datasets.d.target.checkpoint': checkpoint nope.pt"):
        prepare_config(cfg)
