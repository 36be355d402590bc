"""Table intervals in two steps (diffcal.stats.bootstrap): each split's replicate
values written with its attacks, their means' percentiles in the tables job. Oracles:
the one-step bootstrap_means on the same cells, and each replicate recomputed from
explicitly resampled rows (scikit-learn's AUC, a plain mean)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from diffcal.core.io import write_parquet
from diffcal.stats import bootstrap, intervals


def _split(seed: int, n: int = 120, label_only: bool = False):
    """One split's frames as the attack stage holds them: scores (target rows and a
    reference's), roles, eval attack scores (two attacks, one label-only with NaN
    where it did not run) and metrics with each attack's tau."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    role = np.where(ids % 2 == 0, "member", "nonmember")
    role[:10] = "shadow_in"  # samples of the threshold set, not the eval set
    y = role == "member"
    scores = pd.DataFrame(
        {
            "model": ["target"] * n + ["scratch"] * n,
            "sample_id": np.r_[ids, ids],
            "correct": rng.random(2 * n) < np.r_[np.where(y, 0.9, 0.7), np.full(n, 0.5)],
        }
    )
    roles = pd.DataFrame({"sample_id": ids, "role": role})
    ev = ids[role != "shadow_in"]
    loss = np.round(rng.normal(size=len(ev)) + 0.7 * y[ev], 1)  # ties
    att = pd.DataFrame({"set": "eval", "sample_id": ev, "is_member": y[ev], "loss_orig": loss})
    if label_only:
        lab = rng.normal(size=len(ev)) + y[ev]
        lab[rng.random(len(ev)) < 0.4] = np.nan
        att["boundary_orig"] = lab
    att = pd.concat([att, att.assign(set="threshold")], ignore_index=True)
    met = pd.DataFrame({"attack": [c for c in att.columns if c.endswith("_orig")]})
    met["tau"] = [0.1, 0.3][: len(met)]
    return scores, roles, att, met


@pytest.mark.parametrize("label_only", [False, True])
def test_replicates_give_bootstrap_means_intervals(tmp_path, label_only):
    """Written to Parquet, read back and summed over splits: the intervals of the
    one-step bootstrap_means on the same cells and seeds, bit for bit."""
    frames, direct, seeds = [], [], [11, 12, 13]
    for t, seed in enumerate(seeds):
        scores, roles, att, met = _split(t, label_only=label_only)
        rows = bootstrap.split_replicates(scores, roles, att, met, split=t, seed=seed)
        assert list(rows.columns) == bootstrap.REPLICATE_COLUMNS
        write_parquet(rows, tmp_path / f"b{t}.parquet")
        frames.append(pd.read_parquet(tmp_path / f"b{t}.parquet"))
        tgt = scores[scores["model"] == "target"].merge(roles, on="sample_id")
        tgt = tgt[tgt["role"].isin(["member", "nonmember"])]
        ev = att[att["set"] == "eval"]
        ((y, cells),) = bootstrap.table_cells(
            (tgt["role"] == "member").to_numpy(),
            tgt["correct"].to_numpy(),
            ev["is_member"].to_numpy(),
            {a: ev[a].to_numpy() for a in met["attack"]},
            dict(zip(met["attack"], met["tau"], strict=True)),
        )
        direct.append((y, cells))
    got = bootstrap.row_intervals(frames)
    want = bootstrap.bootstrap_means(direct, seeds=seeds)
    assert list(got) == list(want)  # the same cells in the same order
    assert got == want
    attacks = ["loss_orig", "boundary_orig"] if label_only else ["loss_orig"]
    order = [("train_acc", ""), ("test_acc", "")]
    assert list(got) == order + [("auc", a) for a in attacks] + [("acc", a) for a in attacks]


def test_each_replicate_is_the_metric_of_a_resampled_split():
    """Per resample: the AUC (scikit-learn) and accuracy of the explicitly resampled
    eval rows, label-only cells on the attacked samples only, and the target's train
    accuracy on its resampled members."""
    scores, roles, att, met = _split(3, label_only=True)
    n_boot = 40
    cells = bootstrap.split_replicates(scores, roles, att, met, split=3, seed=5)
    cells = cells[cells["resample"] < n_boot]  # the first 40 of the 1,000
    values = bootstrap.replicate_values(cells)
    ev = att[att["set"] == "eval"]
    y = ev["is_member"].to_numpy()
    w = intervals.resample_weights(y, intervals.N_BOOT, np.random.default_rng(5))[:n_boot]
    ok = scores[scores["model"] == "target"]["correct"].to_numpy()[roles["role"] != "shadow_in"]
    for b in range(n_boot):
        c = w[b].astype(int)
        for a, tau in zip(met["attack"], met["tau"], strict=True):
            s = np.repeat(ev[a].to_numpy(), c)
            yy = np.repeat(y, c)
            keep = np.isfinite(s)
            assert values["auc", a][b] == pytest.approx(roc_auc_score(yy[keep], s[keep]))
            assert values["acc", a][b] == pytest.approx(np.mean((s[keep] > tau) == yy[keep]))
        assert values["train_acc", ""][b] == pytest.approx(np.repeat(ok & y, c).sum() / y.sum())


def test_higher_member_scores_give_an_auc_interval_above_a_half():
    """Sign convention: members score higher -> the interval lies above 0.5; the
    negated score -> below."""
    frames, flipped = [], []
    for t in range(3):
        scores, roles, att, met = _split(t, n=400)
        frames.append(bootstrap.split_replicates(scores, roles, att, met, split=t, seed=t))
        att = att.assign(loss_orig=-att["loss_orig"])
        flipped.append(bootstrap.split_replicates(scores, roles, att, met, split=t, seed=t))
    lo, hi = bootstrap.row_intervals(frames)["auc", "loss_orig"]
    assert 0.5 < lo < hi
    lo, hi = bootstrap.row_intervals(flipped)["auc", "loss_orig"]
    assert lo < hi < 0.5


def test_target_and_eval_sets_that_differ_draw_separately():
    """When the target's evaluated samples are not the eval set, Table 1's cells
    come from resamples of the target's own members and non-members."""
    y = np.array([True, False] * 20)
    cells = bootstrap.table_cells(y, np.ones(40, bool), y[:30], {"a": np.arange(30.0)}, {"a": 0.0})
    assert [len(c) for _, c in cells] == [2, 2]  # target (2 cells), eval (auc, acc)
    assert (
        len(bootstrap.table_cells(y, np.ones(40, bool), y, {"a": np.arange(40.0)}, {"a": 0.0})) == 1
    )


def test_a_split_without_the_row_cells_is_an_error():
    scores, roles, att, met = _split(0)
    a = bootstrap.split_replicates(scores, roles, att, met, split=0, seed=1)
    b = a[a["metric"] != "auc"]  # a split whose file lacks a cell
    with pytest.raises(ValueError, match="split 1 of a row"):
        bootstrap.row_intervals([a, b])
