"""LiRA and RMIA (diffcal.attacks.reference) against per-sample loops, the papers'
formulas and a Gaussian toy case whose optimal test is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from diffcal.attacks import metrics
from diffcal.attacks.reference import (
    lira_offline,
    lira_online,
    logit_confidence,
    rmia,
    rmia_marginal,
)


def test_logit_confidence_equals_naive_formula_and_is_stable():
    rng = np.random.default_rng(0)
    logits, y = rng.normal(size=(3, 50, 4)), rng.integers(0, 4, 50)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    py = np.take_along_axis(p, np.broadcast_to(y[:, None], (3, 50, 1)), -1)[..., 0]
    np.testing.assert_allclose(logit_confidence(logits, y), np.log(py / (1 - py)), rtol=1e-10)
    # p_y = 1 - 1e-44 in float64 is 1.0: the naive formula gives inf, ours 100
    assert logit_confidence(np.array([[100.0, 0.0]]), np.array([0]))[0] == pytest.approx(100.0)


def _refs(seed=0, m=40, n=30):
    rng = np.random.default_rng(seed)
    is_in = rng.random((m, n)) < 0.5
    is_in[0], is_in[1] = True, False  # every sample has IN and OUT references
    refs = rng.normal(size=(m, n)) + 2.0 * is_in
    return rng.normal(size=n) + 1.0, refs, is_in


@pytest.mark.parametrize("global_variance", [False, True])
def test_lira_equals_per_sample_loop(global_variance):
    target, refs, is_in = _refs()
    on = lira_online(target, refs, is_in, global_variance=global_variance)
    off = lira_offline(target, refs, is_in, global_variance=global_variance)
    if global_variance:  # pooled over every (reference, sample) pair of a kind
        dev = {k: np.concatenate([refs[mask, i] - refs[mask, i].mean()
                                  for i in range(refs.shape[1])
                                  for mask in [is_in[:, i] if k else ~is_in[:, i]]])
               for k in (True, False)}  # fmt: skip
        pooled = {k: math.sqrt(np.mean(dev[k] ** 2)) for k in dev}
    for i in range(len(target)):
        a, b = refs[is_in[:, i], i], refs[~is_in[:, i], i]
        s_in = pooled[True] if global_variance else a.std()
        s_out = pooled[False] if global_variance else b.std()
        want = stats.norm(a.mean(), s_in).logpdf(target[i]) - stats.norm(b.mean(), s_out).logpdf(
            target[i]
        )
        assert on[i] == pytest.approx(want, rel=1e-9)
        assert off[i] == pytest.approx(stats.norm(b.mean(), s_out).logcdf(target[i]), rel=1e-9)


def test_lira_online_recovers_the_optimal_test_of_a_gaussian_toy():
    """Statistic ~ N(mu_in_i, 1) for members and N(mu_out_i, 1) otherwise, per
    sample: with many references, online LiRA is the Neyman-Pearson log-likelihood
    ratio; its AUC matches the exact ratio's, and members score higher."""
    rng = np.random.default_rng(1)
    n, m = 400, 256
    mu_out = rng.normal(size=n)
    mu_in = mu_out + rng.uniform(0.0, 2.0, size=n)  # some samples leak, some do not
    member = rng.random(n) < 0.5
    target = np.where(member, mu_in, mu_out) + rng.normal(size=n)
    is_in = rng.random((m, n)) < 0.5
    refs = np.where(is_in, mu_in, mu_out) + rng.normal(size=(m, n))
    exact = stats.norm(mu_in, 1).logpdf(target) - stats.norm(mu_out, 1).logpdf(target)
    ours = lira_online(target, refs, is_in, global_variance=True)
    assert np.corrcoef(ours, exact)[0, 1] > 0.99
    assert abs(metrics.auc(member, ours) - metrics.auc(member, exact)) < 0.01
    assert metrics.auc(member, ours) > 0.7  # sign: members score higher
    assert metrics.auc(member, lira_offline(target, refs, is_in)) > 0.6


def test_missing_in_references_are_refused():
    target, refs, is_in = _refs()
    is_in[:, 3] = False
    with pytest.raises(ValueError, match="1 samples have no reference"):
        lira_online(target, refs, is_in)
    lira_offline(target, refs, is_in)  # offline needs OUT references only


def test_rmia_equals_pairwise_loop_and_paper_marginals():
    rng = np.random.default_rng(2)
    m, n, k = 8, 25, 60
    ref_x, ref_z = rng.uniform(0.05, 1, (m, n)), rng.uniform(0.05, 1, (m, k))
    is_in = rng.random((m, n)) < 0.5
    tx, tz = rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, k)
    # offline: Pr(x) = ((1 + a) * mean over OUT + (1 - a)) / 2 (RMIA, eq. for offline)
    a = 0.3
    px = rmia_marginal(ref_x, None, a=a)
    np.testing.assert_allclose(px, ((1 + a) * ref_x.mean(0) + 1 - a) / 2)
    np.testing.assert_allclose(rmia_marginal(ref_x, is_in, a=a), ref_x.mean(0))
    pz = rmia_marginal(ref_z, None, a=a)
    for gamma in (1.0, 2.0):
        got = rmia(tx, px, tz, pz, gamma=gamma)
        for i in range(n):
            want = np.mean([(tx[i] / px[i]) / (tz[j] / pz[j]) >= gamma for j in range(k)])
            assert got[i] == pytest.approx(want)
    # sign: raising a sample's target probability never lowers its score
    bumped = rmia(tx * 1.5, px, tz, pz)
    assert (bumped >= rmia(tx, px, tz, pz)).all()
