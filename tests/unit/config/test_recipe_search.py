"""Public recipe search: never reads the evaluation split; summary maths."""

import numpy as np
import pandas as pd
import pytest

from diffcal.config.recipe_search import _epoch_groups, _parse_grid, rank_candidates, search
from diffcal.data.prepared import Prepared
from diffcal.data.splits import ids_with_role, make_split


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(np.int64)
    return Prepared(x=x, y=y, num_classes=2)


def test_search_never_reads_member_or_nonmember_rows():
    data = _data()
    splits = [make_split(data.n, seed=s) for s in (1, 2)]
    kw = dict(
        model_cfg={"arch": "mlp", "kwargs": {"hidden_mult": 1}},
        base_recipe={"batch_size": 16},
        grid={"epochs": [1, 3], "lr": [0.05]},
        seeds=2,
        root_seed=5,
        seed_key="toy",
    )
    runs = search(data, splits, **kw)
    assert len(runs) == 2 * 2 * 2 and list(runs.columns[:2]) == ["epochs", "lr"]
    # poison the private rows of split 0: its results must not change
    sp = splits[0]
    x = data.x.copy()
    x[ids_with_role(sp, "member", "nonmember")] = np.nan
    one = search(Prepared(x=x, y=data.y, num_classes=2), [sp], **kw)
    assert np.isfinite(one[["train_acc", "test_acc"]].to_numpy()).all()
    pd.testing.assert_frame_equal(one, runs[runs["split"] == 0].reset_index(drop=True))


def test_summarise_means_and_ranks():
    runs = pd.DataFrame(
        {
            "lr": [0.1, 0.1, 0.01, 0.01],
            "train_acc": [1.0, 0.8, 0.9, 0.9],
            "test_acc": [0.7, 0.7, 0.8, 0.6],
        }
    )
    out = rank_candidates(runs, ["lr"], goal=(1.0, 0.8))
    assert out["lr"].tolist() == [0.1, 0.01]  # distances 0.2 vs 0.2: grid order kept
    assert out["train_acc"].tolist() == pytest.approx([0.9, 0.9])
    assert out["test_acc"].tolist() == pytest.approx([0.7, 0.7])
    assert out["n_runs"].tolist() == [2, 2]
    assert out["distance"].tolist() == pytest.approx([0.2, 0.2])


def test_parse_grid_casts_and_rejects():
    assert _parse_grid(["epochs=5,10", "lr=0.1", "augment=true,false"]) == {
        "epochs": [5, 10],
        "lr": [0.1],
        "augment": [True, False],
    }
    with pytest.raises(SystemExit, match="KEY=V1"):
        _parse_grid(["epoch=5"])


def test_epoch_candidates_share_a_run_and_match_separate_runs():
    data = _data()
    splits = [make_split(data.n, seed=3)]
    kw = dict(
        model_cfg={"arch": "mlp", "kwargs": {"hidden_mult": 1}},
        base_recipe={"batch_size": 16},
        seeds=2,
        root_seed=5,
        seed_key="toy",
    )
    together = search(data, splits, grid={"lr": [0.05, 0.2], "epochs": [4, 1]}, **kw)
    assert together[["lr", "epochs"]].drop_duplicates().to_numpy().tolist() == [
        [0.05, 4],
        [0.05, 1],
        [0.2, 4],
        [0.2, 1],
    ]
    for (lr, epochs), rows in together.groupby(["lr", "epochs"], sort=False):
        alone = search(data, splits, grid={"lr": [lr], "epochs": [epochs]}, **kw)
        cols = ["split", "seed", "train_acc", "test_acc"]
        pd.testing.assert_frame_equal(rows[cols].reset_index(drop=True), alone[cols])
    # the 1- and 4-epoch models differ, so sharing is not trivially equal
    assert not np.array_equal(
        together.loc[together["epochs"] == 1, "train_acc"].to_numpy(),
        together.loc[together["epochs"] == 4, "train_acc"].to_numpy(),
    )


def test_epoch_groups_only_under_the_constant_schedule():
    cands = [{"epochs": 5, "lr": 0.1}, {"epochs": 2, "lr": 0.1}, {"epochs": 5, "lr": 0.01}]
    assert _epoch_groups(cands, {}) == [((("lr", 0.1),), [2, 5]), ((("lr", 0.01),), [5])]
    cosine = _epoch_groups(cands, {"schedule": "cosine"})
    assert [counts for _, counts in cosine] == [[5], [2], [5]]
