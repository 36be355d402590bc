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
