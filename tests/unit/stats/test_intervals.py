"""95 % intervals of table cells (diffcal.stats.intervals, report.add_intervals) against
independent oracles: scikit-learn's weighted AUC, explicit resampling, scipy's t."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from diffcal.reporting import paper_comparison
from diffcal.reporting import tables as report
from diffcal.stats import bootstrap, intervals


def _toy(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    s = np.round(rng.normal(size=n) + 0.8 * y, 1)  # rounded: many ties
    return y, s


def test_resample_weights_keep_member_and_nonmember_counts():
    y, _ = _toy()
    w = intervals.resample_weights(y, 50, np.random.default_rng(1))
    assert w.shape == (50, len(y))
    assert (w.sum(axis=1) == len(y)).all()
    assert (w[:, y].sum(axis=1) == y.sum()).all()  # stratified: members stay members
    assert (w >= 0).all() and np.array_equal(w, np.round(w))
    again = intervals.resample_weights(y, 50, np.random.default_rng(1))
    assert np.array_equal(w, again)


def test_weighted_auc_matches_sklearn_and_an_expanded_sample():
    y, s = _toy()
    w = intervals.resample_weights(y, 20, np.random.default_rng(2))
    got = intervals.weighted_auc(y, s, w)
    for i in range(len(w)):
        assert got[i] == pytest.approx(roc_auc_score(y, s, sample_weight=w[i]), abs=1e-12)
        counts = w[i].astype(int)  # the resample as explicit rows
        expanded = roc_auc_score(np.repeat(y, counts), np.repeat(s, counts))
        assert got[i] == pytest.approx(expanded, abs=1e-12)
    # unit weights: the plain AUC; higher score for members -> AUC above 0.5
    assert intervals.weighted_auc(y, s, np.ones((1, len(y))))[0] == pytest.approx(
        roc_auc_score(y, s)
    )
    assert intervals.weighted_auc(y, s, np.ones((1, len(y))))[0] > 0.5
    assert intervals.weighted_auc(y, -s, np.ones((1, len(y))))[0] < 0.5


def test_weighted_accuracy_matches_a_loop():
    y, s = _toy()
    w = intervals.resample_weights(y, 10, np.random.default_rng(3))
    got = intervals.weighted_accuracy(y, s, 0.3, w)
    for i in range(len(w)):
        idx = np.repeat(np.arange(len(y)), w[i].astype(int))
        assert got[i] == pytest.approx(np.mean((s[idx] > 0.3) == y[idx]))


def _dense_weights_as_before(y, n_boot, rng):
    """The former resampling of the tables (dense float64 weights), kept as
    the oracle that the integer counts draw the same resamples."""
    n = len(y)
    counts = np.zeros(n_boot * n, dtype=np.int64)
    for group in (np.flatnonzero(y), np.flatnonzero(~y)):
        draws = group[rng.integers(0, len(group), size=(n_boot, len(group)))]
        counts += np.bincount(
            (draws + (np.arange(n_boot) * n)[:, None]).ravel(), minlength=n_boot * n
        )
    return counts.reshape(n_boot, n).astype(np.float64)


def test_integer_resamples_are_the_dense_ones_and_give_their_metrics_bit_for_bit():
    """The same draws as before, and every cell equal (==, not approx)
    to the float64 dense computation, with ties, masks and both signs."""
    y, s = _toy(500, seed=4)
    r = intervals.Resamples(y, 100, np.random.default_rng(9))  # 100: a partial block
    w = _dense_weights_as_before(y, 100, np.random.default_rng(9))
    assert np.array_equal(r.dense(), w)
    assert r.pos.dtype == np.int32 and r.pos.shape == (y.sum(), 100)
    mask = np.random.default_rng(1).random(len(y)) < 0.6
    many = np.round(s + np.random.default_rng(2).normal(size=len(s)), 2)  # ties too
    scores = (s, -s, np.zeros_like(s), (s > 0.5).astype(float), many, -many)
    # both ways of counting: few distinct values (a matrix product per value) and many
    distinct = [len(np.unique(x)) for x in scores]
    assert min(distinct) <= intervals.FEW_VALUES < max(distinct)
    assert len(np.unique(many)) < len(many)
    for score in scores:
        ym, sm, wm = y[mask], score[mask], w[:, mask]
        assert np.array_equal(
            intervals.resampled_auc(r, score), intervals.weighted_auc(y, score, w)
        )
        assert np.array_equal(
            intervals.resampled_auc(r, score, mask), intervals.weighted_auc(ym, sm, wm)
        )
        ok = (score > 0.3) == y
        assert np.array_equal(
            intervals.resampled_accuracy(r, ok), intervals.weighted_accuracy(y, score, 0.3, w)
        )
        assert np.array_equal(
            intervals.resampled_accuracy(r, ok, mask), intervals.weighted_accuracy(ym, sm, 0.3, wm)
        )
    for i in range(5):  # and the oracle: scikit-learn on the resampled rows
        c = w[i].astype(int)
        ref = roc_auc_score(np.repeat(y, c), np.repeat(s, c))
        assert intervals.resampled_auc(r, s)[i] == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("k", [1, 3, 250, 12_210, 70_001, 2**20 + 3])
def test_counts_are_those_of_the_default_int64_draws(k):
    """The counts come from int32 draws (half the memory); they equal the counts of
    numpy's default int64 draws from the same generator, at group sizes of the
    paper's datasets and beyond."""
    n_boot = 70  # a partial block of 64
    got = intervals.Resamples._counts(k, n_boot, np.random.default_rng(k))
    draws = np.random.default_rng(k).integers(0, k, size=(n_boot, k))
    want = np.stack([np.bincount(d, minlength=k) for d in draws], axis=1)
    assert got.dtype == np.int32 and np.array_equal(got, want)


def test_running_counts_are_the_cumulative_sums_at_any_length():
    """The blocked running count of resampled_auc against numpy's cumsum, for
    lengths with and without a partial last block (and none at all)."""
    rng = np.random.default_rng(3)
    for m in (0, 1, 2, 3, 4, 15, 16, 17, 101):
        counts = rng.integers(0, 5, size=(m + 4, 7)).astype(np.int32)
        rows = rng.permutation(m + 4)[:m]
        expected = np.vstack([np.zeros((1, 7), np.int32), np.cumsum(counts[rows], axis=0)])
        cum = intervals._running_counts(counts, rows)
        assert np.array_equal(cum(np.arange(m + 1)), expected)
        assert np.array_equal(cum(np.arange(m, -1, -1)), expected[::-1])
    none = intervals._running_counts(np.zeros((0, 7), np.int32), np.zeros(0, np.int64))
    assert np.array_equal(none(np.array([0])), np.zeros((1, 7), np.int32))


def test_cells_on_two_threads_equal_the_cells_on_one():
    """Each thread has its own scratch memory: cells evaluated side by side give
    the same values as one after another."""
    from concurrent.futures import ThreadPoolExecutor

    y, s = _toy(3000, seed=5)
    r = intervals.Resamples(y, 50, np.random.default_rng(2))
    scores = [s + np.random.default_rng(k).normal(size=len(s)) for k in range(8)]
    alone = [intervals.resampled_auc(r, x) for x in scores]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda x: intervals.resampled_auc(r, x), scores))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together, strict=True))


def test_accuracy_cells_together_equal_each_alone_and_group_cells_sum_per_name():
    y, s = _toy(400, seed=5)
    r = intervals.Resamples(y, 50, np.random.default_rng(3))
    rng = np.random.default_rng(4)
    correct = np.stack([(s > t) == y for t in (-0.5, 0.0, 0.7)], axis=1)
    masks = rng.random(correct.shape) < 0.7
    masks[:, 0] = True
    together = intervals.resampled_accuracies(r, correct, masks)
    assert together.shape == (3, 50)
    for c in range(3):
        alone = intervals.resampled_accuracy(r, correct[:, c], None if c == 0 else masks[:, c])
        assert np.array_equal(together[c], alone)
    # A function may return several named cells; the result is as if each were alone.
    splits = [
        (
            y,
            {
                "acc": lambda r: dict(
                    zip("abc", intervals.resampled_accuracies(r, correct, masks), strict=True)
                ),
                "auc": lambda r: intervals.resampled_auc(r, s),
            },
        )
    ]
    alone = [
        (
            y,
            {
                k: lambda r, c=c: intervals.resampled_accuracies(r, correct, masks)[c]
                for c, k in enumerate("abc")
            }
            | {"auc": lambda r: intervals.resampled_auc(r, s)},
        )
    ]
    for threads in (1, 2):
        got = bootstrap.bootstrap_means(splits * 3, seeds=[1, 2, 3], n_boot=50, threads=threads)
        assert got == bootstrap.bootstrap_means(alone * 3, seeds=[1, 2, 3], n_boot=50)
        assert set(got) == {"a", "b", "c", "auc"}


def test_t_interval_matches_scipy():
    v = [0.61, 0.58, 0.66, 0.60, 0.59]
    mean, lo, hi = intervals.t_interval(v)
    ref = stats.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=stats.sem(v))
    assert (lo, hi) == pytest.approx(ref) and mean == pytest.approx(np.mean(v))


def test_bootstrap_means_is_the_percentile_interval_of_split_averages():
    """Oracle: draw the same stratified resamples explicitly, compute each split's
    AUC with scikit-learn on the resampled rows, average over splits, percentiles."""
    splits = [_toy(200, seed) for seed in (10, 11, 12)]
    seeds = [5, 6, 7]
    n_boot = 200
    got = bootstrap.bootstrap_means(
        [(y, {"auc": lambda r, s=s: intervals.resampled_auc(r, s)}) for y, s in splits],
        seeds=seeds,
        n_boot=n_boot,
    )["auc"]
    per_split = []
    for (y, s), seed in zip(splits, seeds, strict=True):
        w = intervals.resample_weights(y, n_boot, np.random.default_rng(seed))
        per_split.append(
            [roc_auc_score(np.repeat(y, c.astype(int)), np.repeat(s, c.astype(int))) for c in w]
        )
    ref = np.percentile(np.mean(per_split, axis=0), [2.5, 97.5])
    assert got == pytest.approx(tuple(ref), abs=1e-12)
    point = np.mean([roc_auc_score(y, s) for y, s in splits])
    assert got[0] < point < got[1]


def test_bootstrap_means_of_a_constant_metric_has_zero_width_and_checks_seeds():
    y, _ = _toy(50)
    out = bootstrap.bootstrap_means([(y, {"c": lambda r: np.full(r.n_boot, 0.7)})], seeds=[1])
    assert out["c"] == pytest.approx((0.7, 0.7))
    with pytest.raises(ValueError, match="seeds"):
        bootstrap.bootstrap_means([(y, {})], seeds=[1, 2])


def test_add_intervals_unites_t_and_bootstrap_below_ten_splits():
    per_split = pd.DataFrame(
        {
            "dataset": "d",
            "variant": "plain",
            "label": "D",
            "attack": "loss_orig",
            "split": range(5),
            "auc": [0.60, 0.62, 0.58, 0.61, 0.59],
        }
    )
    by = ["dataset", "variant", "label", "attack"]
    summary = report.summarise(per_split, ["auc"], by)
    boot = pd.DataFrame(
        [
            {
                "dataset": "d",
                "variant": "plain",
                "label": "D",
                "attack": "loss_orig",
                "metric": "auc",
                "boot_low": 0.55,
                "boot_high": 0.605,
            }
        ]
    )
    out = report.add_intervals(summary, per_split, by, boot).iloc[0]
    _, t_lo, t_hi = intervals.t_interval(per_split["auc"])
    assert (out["t_low"], out["t_high"]) == pytest.approx((t_lo, t_hi))
    assert out["ci_low"] == pytest.approx(0.55)  # bootstrap wider below
    assert out["ci_high"] == pytest.approx(t_hi)  # t wider above
    assert out["ci_method"] == "t over splits | bootstrap within splits"
    many = pd.concat([per_split.assign(split=per_split["split"] + 5 * k) for k in range(2)])
    out10 = report.add_intervals(report.summarise(many, ["auc"], by), many, by, boot).iloc[0]
    assert out10["ci_method"] == "t over splits"
    assert out10["ci_low"] == pytest.approx(out10["t_low"])


def test_comparison_marks_a_difference_only_outside_the_interval():
    summary = pd.DataFrame(
        [
            {
                "label": "Credit",
                "attack": a,
                "metric": "auc",
                "mean": m,
                "std": 0.01,
                "n_splits": 5,
                "ci_low": lo,
                "ci_high": hi,
                "ci_method": "t",
            }
            for a, m, lo, hi in [("loss_orig", 0.60, 0.55, 0.65), ("loss_cal", 0.70, 0.68, 0.72)]
        ]
    )
    acc = pd.DataFrame(columns=["label", "metric", "mean", "std", "n_splits"])
    cmp = paper_comparison.compare_with_paper(
        acc, summary, {"Credit": "Credit"}, ["loss_orig", "loss_cal"]
    )
    cell = cmp.set_index("column")
    # paper: Loss Orig 0.542 (outside [0.55, 0.65]), Loss Cal 0.648 (outside [0.68, 0.72])
    assert bool(cell.loc["Loss Orig", "differs"]) and bool(cell.loc["Loss Cal", "differs"])
    summary.loc[0, "ci_low"] = 0.54
    cmp = paper_comparison.compare_with_paper(acc, summary, {"Credit": "Credit"}, ["loss_orig"])
    assert not bool(cmp.iloc[0]["differs"])
    counts = paper_comparison.agreement_counts(cmp)
    assert counts.iloc[0][
        ["cells", "within_std", "within_2std", "beyond_2std", "differs"]
    ].tolist() == [1, 0, 0, 1, 0]  # |0.058| > 2 x 0.024


def test_intervals_of_proportions_are_clipped_to_the_unit_interval():
    per_split = pd.DataFrame(
        {
            "dataset": "d",
            "variant": "plain",
            "label": "D",
            "split": range(5),
            "train_acc": [1.0, 1.0, 0.8, 1.0, 1.0],
            "tau": [3.0, 5.0, 4.0, 6.0, 2.0],
        }
    )
    by = ["dataset", "variant", "label"]
    summary = report.summarise(per_split, ["train_acc", "tau"], by)
    empty = pd.DataFrame(columns=[*by, "attack", "metric", "boot_low", "boot_high"])
    out = report.add_intervals(summary, per_split, by, empty).set_index("metric")
    assert out.loc["train_acc", "ci_high"] == 1.0 and out.loc["train_acc", "t_low"] < 1.0
    assert out.loc["tau", "ci_high"] > 5.0  # tau is not a proportion: not clipped
    assert out.loc["train_acc", "ci_method"] == "t over splits"  # no bootstrap given


def test_two_sample_criterion_and_calibrated_counts():
    """|diff| <= t(0.975, 8) sqrt((s^2 + b^2) / 5): 2.306 x sqrt((0.03^2 + 0.024^2) / 5)
    = 0.0396 for Credit's AUC bound 0.024 (so a diff of 0.030 beyond the bound is
    consistent, 0.045 is not); counts of the calibrated cells."""
    from scipy import stats

    half = stats.t.ppf(0.975, 8) * np.sqrt((0.03**2 + 0.024**2) / 5)
    assert half == pytest.approx(0.0396, abs=1e-4)
    assert paper_comparison.two_sample_consistent(0.030, 0.03, 0.024, 5)
    assert not paper_comparison.two_sample_consistent(0.045, 0.03, 0.024, 5)
    assert paper_comparison.two_sample_consistent(-0.039, 0.03, 0.024, 5)
    # paper Credit AUC: Loss Orig 0.542, Loss Cal 0.648, Loss Cal-F 0.594
    summary = pd.DataFrame(
        [
            {
                "label": "Credit",
                "attack": a,
                "metric": "auc",
                "mean": m,
                "std": 0.03,
                "n_splits": 5,
                "ci_low": m - 0.04,
                "ci_high": m + 0.04,
                "ci_method": "t",
            }
            for a, m in [
                ("loss_orig", 0.542 + 0.030),
                ("loss_cal", 0.648 + 0.010),
                ("loss_calf", 0.594 - 0.045),
            ]
        ]
    )
    acc = pd.DataFrame(columns=["label", "metric", "mean", "std", "n_splits"])
    cmp = paper_comparison.compare_with_paper(
        acc, summary, {"Credit": "Credit"}, ["loss_orig", "loss_cal", "loss_calf"]
    )
    assert cmp["calibrated"].tolist() == [False, True, True]
    assert cmp["consistent_2sample"].tolist() == [True, True, False]
    row = paper_comparison.agreement_counts(cmp).iloc[0]
    assert row[
        ["cells", "within_std", "cal_cells", "cal_within_std", "consistent_2sample"]
    ].tolist() == [3, 1, 2, 1, 2]
