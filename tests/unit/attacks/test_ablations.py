"""Ablations (paper section 4.3): the maths against independent oracles, DP-SGD's
privacy accounting, and the workflow's guarantees (the ratio sweep and the K
curve retrain nothing, a targets_from variant trains no target)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diffcal.attacks import ablations as ab
from diffcal.attacks import metrics
from diffcal.attacks.calibration import calibrate

ABL_TINY = "tests/data/ablations_tiny.yaml"


def roc_auc_score(y, s):
    """Pair-counting AUC: P(member score > non-member score) + ties / 2 (the oracle
    for diffcal.attacks.metrics.auc, which wraps scikit-learn)."""
    y, s = np.asarray(y, bool), np.asarray(s, float)
    sm, sn = s[y][:, None], s[~y][None, :]
    return float(np.mean((sm > sn) + 0.5 * (sm == sn)))


def average_precision_score(y, s):
    """Average precision by a loop over thresholds from the top (no ties):
    sum over members ranked k of precision@k / n_members."""
    order = np.argsort(-np.asarray(s, float), kind="stable")
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if y[i]:
            hits += 1
            total += hits / rank
    return total / np.sum(y)


def _toy(n_in=300, n_out=500, seed=0, shift=0.7):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_in, bool), np.zeros(n_out, bool)]
    s = rng.normal(size=len(y)) + shift * y
    return y, s


# ------------------------------------------------------------------- maths


@pytest.mark.parametrize("ratio", [1.0, 0.5, 0.2, 0.1])
def test_subsample_members_keeps_every_nonmember_and_the_ratio(ratio):
    y, _ = _toy(600, 500)
    keep = ab.subsample_members(y, ratio, seed=1)
    assert keep[~y].all()  # non-members untouched
    assert keep[y].sum() == round(ratio * 500)
    assert (keep == ab.subsample_members(y, ratio, seed=1)).all()  # seeded
    assert not (keep == ab.subsample_members(y, ratio, seed=2)).all() or ratio == 1.0


def test_subsample_members_with_fewer_members_than_nonmembers():
    y, _ = _toy(224, 225)
    keep = ab.subsample_members(y, 1.0, seed=0)
    assert keep[y].all() and keep[~y].sum() == 224  # exact 1:1 by dropping non-members


@pytest.mark.parametrize("ratio", [0.0, -0.5, 1.5])
def test_subsample_members_rejects_ratio_outside_unit_interval(ratio):
    with pytest.raises(ValueError, match="ratio must lie in"):
        ab.subsample_members(np.array([1, 0], bool), ratio, seed=0)


def test_ratio_metrics_against_sklearn_and_a_loop():
    y, s = _toy(seed=3)
    ty, ts = _toy(seed=4)
    row = ab.ratio_metrics(y, s, ty, ts, 0.2, seed_eval=5, seed_thr=6, recall_levels=[0.1])
    keep = ab.subsample_members(y, 0.2, seed=5)
    yk, sk = y[keep], s[keep]
    assert row["n_members"] == 100 and row["n_nonmembers"] == 500
    assert row["auc"] == pytest.approx(roc_auc_score(yk, sk))
    assert row["avg_precision"] == pytest.approx(average_precision_score(yk, sk))
    # tau at 1:1 from the full threshold set; tau at the ratio from its subsample
    assert row["tau_balanced"] == metrics.best_threshold(ty, ts)[0]
    tk = ab.subsample_members(ty, 0.2, seed=6)
    assert row["tau_matched"] == metrics.best_threshold(ty[tk], ts[tk])[0]
    for key, tau in (
        ("acc_balanced_tau", row["tau_balanced"]),
        ("acc_matched_tau", row["tau_matched"]),
    ):
        loop = sum((si > tau) == yi for si, yi in zip(sk, yk, strict=True)) / len(yk)
        assert row[key] == pytest.approx(loop)
    assert row["acc_all_nonmember"] == pytest.approx(500 / 600)
    # with a 1:5 prior the matched threshold predicts fewer members: higher accuracy
    assert row["acc_matched_tau"] >= row["acc_balanced_tau"]


def test_curves_on_grid_match_the_pointwise_metrics():
    y, s = _toy(seed=7)
    prec = ab.precision_on_grid(y, s)
    tpr = ab.tpr_on_grid(y, s)
    for r, p in zip(ab.RECALL_GRID[::10], prec[::10], strict=True):
        assert p == pytest.approx(metrics.precision_at_recall(y, s, r))
    for f, t in zip(ab.FPR_GRID[::8], tpr[::8], strict=True):
        assert t == pytest.approx(metrics.tpr_at_fpr(y, s, f))
    assert np.all(np.diff(prec) <= 1e-12) and np.all(np.diff(tpr) >= 0)


def test_k_curve_uses_the_first_k_references():
    rng = np.random.default_rng(0)
    y, target = _toy(100, 100, seed=1)
    refs = rng.normal(size=(5, 200))
    ty, tt = _toy(80, 80, seed=2)
    trefs = rng.normal(size=(5, 160))
    rows = ab.k_curve(y, target, refs, ty, tt, trefs, [1, 3, 5])
    assert [r["k"] for r in rows] == [1, 3, 5]
    for r in rows:
        k = r["k"]
        s = target - refs[:k].mean(0)  # independent: the first k, by hand
        assert r["auc"] == pytest.approx(roc_auc_score(y, s))
        tau = metrics.best_threshold(ty, tt - trefs[:k].mean(0))[0]
        assert r["tau"] == tau
        assert r["acc"] == pytest.approx(np.mean((s > tau) == y))
    # sign: per-sample difficulty d hides a membership shift of +0.5 in the raw
    # score; references that see d (not membership) remove it, so Cal > Orig
    d = rng.normal(size=200)
    s_orig = d + 0.5 * y + 0.3 * rng.normal(size=200)
    refs_d = d[None] + 0.3 * rng.normal(size=(3, 200))
    assert roc_auc_score(y, calibrate(s_orig, refs_d)) > roc_auc_score(y, s_orig) + 0.1
    with pytest.raises(ValueError, match="K = 6"):
        ab.k_curve(y, target, refs, ty, tt, trefs, [6])


# ------------------------------------------------------------------- DP-SGD


# ------------------------------------------------------------------- workflow


# ------------------------------------------------------------- one-run audit


def test_canaries_are_seeded_nonmembers_with_fair_coins():
    from diffcal.attacks.one_run import draw_canaries

    pool = np.arange(1000, 3000)
    ids, inc = draw_canaries(pool, 1500, seed=5)
    assert len(set(ids)) == 1500 and set(ids) <= set(pool)
    again = draw_canaries(pool, 1500, seed=5)
    assert np.array_equal(ids, again[0]) and np.array_equal(inc, again[1])
    assert 0.45 < inc.mean() < 0.55
    with pytest.raises(ValueError, match="one_run.canaries"):
        draw_canaries(pool[:10], 11, seed=0)


def test_one_run_table_counts_guesses_as_a_loop_does():
    from diffcal.attacks.one_run import canary_scores, one_run_table
    from diffcal.stats.privacy import one_run_epsilon_lower_bound

    rng = np.random.default_rng(0)
    m = 400
    inc = rng.random(m) < 0.5
    ids = np.arange(m) + 10
    loss = rng.exponential(size=m) * np.where(inc, 0.5, 1.0)  # included: lower loss
    ref = pd.DataFrame(
        {
            "split": 0,
            "model": "scratch",
            "sample_id": np.r_[ids, ids],
            "loss": np.r_[loss * 0 + 1.0, loss * 0 + 3.0],
        }
    )
    canaries = pd.DataFrame({"sample_id": ids, "included": inc, "loss": loss})
    s = canary_scores(canaries, ref, 0)
    np.testing.assert_allclose(s["loss_orig"], -loss)
    np.testing.assert_allclose(s["loss_cal"], -(loss - 2.0))  # mean of the two references
    table = one_run_table(s, inc, [200, 400], [10, 50, 150], delta=1e-5)
    assert len(table) == 2 * 5  # (200, 150) has 2k > m
    for row in table.itertuples():
        sc = s[row.score][: row.m]
        order = sorted(range(row.m), key=lambda i: sc[i])  # a per-canary loop
        correct = sum(inc[i] for i in order[-row.k :]) + sum(not inc[i] for i in order[: row.k])
        assert (row.guesses, row.correct) == (2 * row.k, correct)
        assert row.epsilon_lb == one_run_epsilon_lower_bound(2 * row.k, correct, 0.05)
        assert row.epsilon_lb_any == one_run_epsilon_lower_bound(2 * row.k, correct, 0.05 / 5)
        assert row.epsilon_lb_any <= row.epsilon_lb
        # the (epsilon, delta) form on the row's m canaries, below the pure one
        assert row.epsilon_lb_delta == one_run_epsilon_lower_bound(
            2 * row.k, correct, 0.05, delta=1e-5, m=row.m
        )
        assert row.epsilon_lb_delta_any <= row.epsilon_lb_delta <= row.epsilon_lb
    assert table["epsilon_lb"].max() > 0  # the included canaries do have lower losses
    with pytest.raises(ValueError, match="no scratch reference"):
        canary_scores(canaries, ref.assign(model="forget_target"), 0)


def test_mislabelled_canaries_take_every_other_class_equally_often():
    from diffcal.attacks.one_run import mislabel

    y = np.repeat(np.arange(4), 3000)
    wrong = mislabel(y, 4, seed=3)
    assert (wrong != y).all() and wrong.dtype == np.int64
    counts = pd.crosstab(y, wrong).to_numpy()  # true label x new label
    assert (np.diag(counts) == 0).all()
    off = counts[~np.eye(4, dtype=bool)]
    assert np.abs(off - 1000).max() < 120  # 1000 expected each, sd about 26
    np.testing.assert_array_equal(wrong, mislabel(y, 4, seed=3))
    with pytest.raises(ValueError, match="two classes"):
        mislabel(np.zeros(3, dtype=int), 1, seed=0)


def test_canary_scores_calibrate_with_the_canaries_own_reference_loss():
    from diffcal.attacks.one_run import canary_scores

    canaries = pd.DataFrame(
        {"sample_id": [4, 9], "included": [True, False], "loss": [0.5, 2.0], "ref_loss": [1.5, 1.0]}
    )
    s = canary_scores(canaries, pd.DataFrame(columns=["split", "model", "sample_id", "loss"]), 0)
    np.testing.assert_allclose(s["loss_orig"], [-0.5, -2.0])
    np.testing.assert_allclose(s["loss_cal"], [1.0, -1.0])  # higher = more likely included


def test_canary_target_tests_on_the_excluded_canaries_when_every_nonmember_is_one():
    """MNIST at 1,000 members has 1,000 non-members, all of them canaries: the
    canary target's test accuracy is then on the excluded canaries (never trained
    on), else on the non-members that are not canaries."""
    from diffcal.stages.train_canary import _job

    roles = ["member"] * 6 + ["nonmember"] * 4 + ["public"] * 2
    sp = pd.DataFrame({"sample_id": np.arange(12), "role": roles})
    spec = {"arch": "mlp", "input_shape": [3], "num_classes": 2, "kwargs": {}}
    ids, inc = np.array([9, 6, 8, 7]), np.array([True, False, True, False])
    job = _job(sp, ids, inc, spec, seed=0, t=0)
    np.testing.assert_array_equal(job["train_ids"], [0, 1, 2, 3, 4, 5, 8, 9])
    np.testing.assert_array_equal(job["test_ids"], [6, 7])
    job = _job(sp, ids[:2], inc[:2], spec, seed=0, t=0)
    np.testing.assert_array_equal(job["test_ids"], [7, 8])
