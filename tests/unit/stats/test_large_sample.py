"""The replicates of large splits (diffcal.stats.large_sample) against independent
oracles: DeLong's placements against a per-pair loop and scikit-learn's AUC, the
covariance against the exact resamples' spread, and the tail bootstrap's TPR
against a per-resample loop over the same Poisson weights."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from diffcal.stats import large_sample as ls
from diffcal.stats.intervals import Resamples, resampled_auc


def _case(n=4000, seed=0, shift=0.8):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.5
    s = np.round(rng.normal(size=n) + shift * y, 1)  # rounded: ties
    return y, s, s + np.round(rng.normal(size=n) * 0.7, 1)


def test_placements_are_the_pairwise_shares_and_average_to_the_auc():
    y, s, _ = _case(300)
    v10, v01 = ls.placements(y, s)
    pos, neg = s[y], s[~y]
    want10 = [np.mean((p > neg) + 0.5 * (p == neg)) for p in pos]
    want01 = [np.mean((pos > q) + 0.5 * (pos == q)) for q in neg]
    np.testing.assert_allclose(v10, want10)
    np.testing.assert_allclose(v01, want01)
    assert v10.mean() == pytest.approx(roc_auc_score(y, s)) == pytest.approx(v01.mean())


def test_auc_replicates_spread_like_the_exact_resamples_and_keep_pairs_correlated():
    y, s1, s2 = _case(20000)
    r = Resamples(y, 1000, np.random.default_rng(1))
    e1, e2 = resampled_auc(r, s1), resampled_auc(r, s2)
    reps = ls.auc_replicates(y, {"a": s1, "b": s2}, 4000, np.random.default_rng(2))
    assert reps["a"].mean() == pytest.approx(roc_auc_score(y, s1), abs=2e-4)
    assert reps["a"].std() == pytest.approx(e1.std(), rel=0.1)
    # the difference's spread is far below the sum of the two (shared samples)
    assert (reps["a"] - reps["b"]).std() == pytest.approx((e1 - e2).std(), rel=0.1)
    assert (e1 - e2).std() < 0.7 * np.hypot(e1.std(), e2.std())


def _weights(n_boot, union_size, seed):
    """The Poisson weights tpr_replicates draws for the same seed, block by block."""
    rng = np.random.default_rng(seed)
    blocks = []
    for b0 in range(0, n_boot, ls.BLOCK):
        b = min(ls.BLOCK, n_boot - b0)
        blocks.append(ls._POISSON[rng.integers(0, 2**16, size=(b, union_size), dtype=np.uint16)])
    return np.concatenate(blocks)


@pytest.mark.parametrize("fpr", [0.0, 0.002, 0.02])
def test_tail_tpr_is_a_per_resample_loop_over_the_same_weights(fpr):
    y, s1, s2 = _case(3000)
    scores = {"a": s1, "b": s2}
    got = ls.tpr_replicates(y, scores, [fpr, 0.02], 60, np.random.default_rng(5))
    union = np.unique(np.concatenate([ls.tail(y, s, 0.02) for s in scores.values()]))
    w = _weights(60, len(union), 5)
    n1, n0 = int(y.sum()), int((~y).sum())
    for name, s in scores.items():
        for b in range(60):
            best = 0.0  # no sample flagged: FPR 0
            for t in np.unique(s[union]):
                flagged = s[union] >= t
                fp = w[b][flagged & ~y[union]].sum() / n0
                tp = w[b][flagged & y[union]].sum() / n1
                if fp <= fpr + 1e-9:
                    best = max(best, tp)
            assert got[name, fpr][b] == pytest.approx(best, abs=1e-6), (name, b)


def test_poisson_table_has_the_poisson_probabilities():
    from math import exp, factorial

    counts = np.bincount(ls._POISSON.astype(int)) / len(ls._POISSON)
    for k in range(5):
        assert counts[k] == pytest.approx(exp(-1) / factorial(k), abs=2**-15)


def test_accuracy_replicates_match_the_exact_resamples_distribution():
    """Multinomial draws of the counts against the exact resamples' accuracies on
    the same split: means, spreads and percentile intervals (masked samples left
    out, as the label-only attack's unattacked ones are)."""
    from diffcal.stats.intervals import resampled_accuracy

    rng = np.random.default_rng(4)
    y = rng.random(20000) < 0.4
    ok = rng.random(20000) < np.where(y, 0.8, 0.6)
    mask = rng.random(20000) < 0.9
    exact = resampled_accuracy(Resamples(y, 2000, np.random.default_rng(5)), ok, mask)
    ours = ls.accuracy_replicates(y, ok, 2000, np.random.default_rng(6), mask=mask)
    assert ours.mean() == pytest.approx(ok[mask].mean(), abs=1e-3)
    assert ours.std() == pytest.approx(exact.std(), rel=0.1)
    np.testing.assert_allclose(
        np.percentile(ours, [2.5, 97.5]), np.percentile(exact, [2.5, 97.5]), atol=1e-3
    )
    members = ls.accuracy_replicates(y, ok, 2000, np.random.default_rng(7), mask=y)
    assert members.std() == pytest.approx(np.sqrt(0.8 * 0.2 / y.sum()), rel=0.1)


def test_large_splits_table_cells_agree_with_the_exact_resamples(monkeypatch):
    """The attack job's replicates of a split above LARGE_N (here lowered to
    1,000) give every table cell's interval within 0.002 of the exact resamples'
    on 20,000 samples; the cells come in the same order."""
    import pandas as pd

    from diffcal.stats import bootstrap as bs

    y, s1, s2 = _case(20000, seed=8)
    rng = np.random.default_rng(9)
    ok = rng.random(len(y)) < np.where(y, 0.9, 0.7)
    arrays = (y, ok, y, {"a": s1, "b": s2}, {"a": 0.4, "b": 0.3})
    exact = bs.cell_replicates(bs.table_cells(*arrays), split=0, seed=1)
    monkeypatch.setattr(ls, "LARGE_N", 1000)
    scores = pd.DataFrame({"model": "target", "sample_id": np.arange(len(y)), "correct": ok})
    roles = pd.DataFrame(
        {"sample_id": np.arange(len(y)), "role": np.where(y, "member", "nonmember")}
    )
    att = pd.DataFrame({"set": "eval", "is_member": y, "a": s1, "b": s2})
    met = pd.DataFrame({"attack": ["a", "b"], "tau": [0.4, 0.3]})
    large = bs.split_replicates(scores, roles, att, met, split=0, seed=1)
    assert list(exact.columns) == list(large.columns)
    want, got = bs.row_intervals([exact]), bs.row_intervals([large])
    assert list(want) == list(got)
    for cell, (lo, hi) in want.items():
        assert got[cell] == pytest.approx((lo, hi), abs=0.002), cell
    assert not large["value"].equals(exact["value"])  # the large path ran
