"""LiRA and RMIA (diffcal.attacks.reference) against per-sample loops, the papers'
formulas and a Gaussian toy case whose optimal test is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from diffcal.attacks import metrics
from diffcal.attacks.reference import (
    lira_official,
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
        dev = {
            k: np.concatenate(
                [
                    refs[mask, i] - refs[mask, i].mean()
                    for i in range(refs.shape[1])
                    for mask in [is_in[:, i] if k else ~is_in[:, i]]
                ]
            )
            for k in (True, False)
        }
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


def _official_lira(keep, scores, check_keep, check_scores, *, offline, fix_variance):
    """A re-derivation of the LiRA authors' scoring (plot.py's generate_ours /
    generate_ours_offline, then sweep's ``roc_curve(answers, -prediction)``) with
    its shapes: ``keep`` (m, n) bool, ``scores`` (m, n, 1) of the pool; the target
    is one more model (``check_*``). Returns the member score (n,) = -prediction."""
    m, n = keep.shape
    dat_in = [scores[keep[:, j], j, :] for j in range(n)]
    dat_out = [scores[~keep[:, j], j, :] for j in range(n)]
    k_in, k_out = min(map(len, dat_in)), min(map(len, dat_out))
    dat_in = np.array([x[:k_in] for x in dat_in])  # (n, k, 1)
    dat_out = np.array([x[:k_out] for x in dat_out])
    mean_in, mean_out = np.median(dat_in, 1), np.median(dat_out, 1)
    if offline:
        std_out = np.std(dat_out) if fix_variance else np.std(dat_out, 1)
        prediction = stats.norm.logpdf(check_scores, mean_out, std_out + 1e-30).mean(1)
    else:
        if fix_variance:
            std_in = std_out = np.std(dat_in)  # sic: both from the IN values
        else:
            std_in, std_out = np.std(dat_in, 1), np.std(dat_out, 1)
        pr_in = -stats.norm.logpdf(check_scores, mean_in, std_in + 1e-30)
        pr_out = -stats.norm.logpdf(check_scores, mean_out, std_out + 1e-30)
        prediction = (pr_in - pr_out).mean(1)
    return -prediction


@pytest.mark.parametrize("offline", [False, True])
@pytest.mark.parametrize("fix_variance", [False, True])
def test_lira_official_equals_the_authors_formulas(offline, fix_variance):
    """Median, population std, fixed variance and the two-sided offline
    density as the authors' code computes them (complementary pairs: every sample has
    m / 2 references of each kind, so the code's truncation changes nothing)."""
    from diffcal.attacks.pool_membership import pool_membership

    rng = np.random.default_rng(3)
    m, n = 8, 40
    keep = pool_membership(n, m, seed=1)  # (m, n): the code's keep
    scores = rng.normal(size=(m, n, 1)) + 0.8 * keep[..., None]
    target_in = rng.random(n) < 0.5
    target = rng.normal(size=n) + 0.8 * target_in
    want = _official_lira(
        keep,
        scores,
        target_in[:, None],
        target[:, None],
        offline=offline,
        fix_variance=fix_variance,
    )
    got = lira_official(target, scores[..., 0], keep, online=not offline, fix_variance=fix_variance)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # sign: members score higher on average (online); offline is two-sided
    if not offline:
        assert got[target_in].mean() > got[~target_in].mean()
    # the median is not the mean: an outlying reference moves ours, not theirs
    moved = scores.copy()
    moved[np.argmax(~keep[:, 0]), 0, 0] += 50.0
    a = lira_official(target, moved[..., 0], keep, online=not offline, fix_variance=False)
    b = lira_official(target, scores[..., 0], keep, online=not offline, fix_variance=False)
    assert abs(a[0] - b[0]) < abs(
        lira_online(target, moved[..., 0], keep)[0] - lira_online(target, scores[..., 0], keep)[0]
    )


def test_lira_official_without_references_of_a_kind():
    keep = np.zeros((2, 3), dtype=bool)
    keep[0] = True  # every sample IN for reference 0, OUT for 1: fine
    lira_official(np.zeros(3), np.ones((2, 3)), keep, online=True)
    with pytest.raises(ValueError, match="no reference"):
        lira_official(np.zeros(3), np.ones((2, 3)), np.ones((2, 3), bool), online=True)
    only_first = np.array([[True, False, False], [True, False, False]])  # 1, 2: no OUT
    out = lira_official(
        np.zeros(3), np.arange(6.0).reshape(2, 3), ~only_first, online=False, missing="global"
    )
    assert np.isfinite(out).all()


@pytest.mark.parametrize("global_variance", [False, True])
def test_reference_statistics_of_many_samples_by_chunks_are_the_same(monkeypatch, global_variance):
    """Above LARGE_N samples the statistics are summed by chunks of columns: the
    same numbers to float rounding, the fallback of a sample without a reference
    of its kind and the pooled (global) variance included."""
    from diffcal.attacks import reference

    rng = np.random.default_rng(0)
    v = rng.normal(size=(6, 1000))
    w = rng.random((6, 1000)) < 0.5
    w[:, 3] = False  # a sample without a reference of this kind: the pooled fallback
    want = reference._masked_stats(v, w, global_variance, "global")
    monkeypatch.setattr(reference, "LARGE_N", 100)
    monkeypatch.setattr(reference, "CHUNK", 64)
    got = reference._masked_stats(v, w, global_variance, "global")
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
