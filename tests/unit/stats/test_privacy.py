"""Epsilon lower bounds (diffcal.stats.privacy) against their oracles: scipy's exact
binomial interval, randomized response with a known epsilon, the closed-form GDP
curve, and a case built to catch thresholds picked on the evaluation set."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from diffcal.stats import privacy


def test_clopper_pearson_matches_scipys_exact_interval():
    # scipy's two-sided exact interval at confidence 1 - 2a has the one-sided
    # (1 - a) bounds as its ends.
    for k, n in [(0, 20), (3, 20), (17, 20), (20, 20), (250, 1000)]:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.90, method="exact")
        assert privacy.clopper_pearson_upper(k, n, 0.05) == pytest.approx(ci.high, abs=1e-12)
        assert privacy.clopper_pearson_lower(k, n, 0.05) == pytest.approx(ci.low, abs=1e-12)
    # arrays of counts: the beta quantiles elementwise (k = n: 1)
    np.testing.assert_allclose(
        privacy.clopper_pearson_upper(np.array([0, 5, 10]), 10, 0.01),
        [stats.beta.ppf(0.99, 1, 10), stats.beta.ppf(0.99, 6, 5), 1.0],
    )


def _randomized_response(eps: float, n: int, seed: int):
    """Each sample's output equals its membership bit with probability
    e^eps / (1 + e^eps): an eps-DP mechanism, the attack score is the output."""
    rng = np.random.default_rng(seed)
    member = np.repeat([True, False], n)
    keep = rng.random(2 * n) < np.exp(eps) / (1 + np.exp(eps))
    return np.where(keep, member, ~member).astype(float), member


@pytest.mark.parametrize("eps", [0.5, 1.0, 2.0])
def test_randomized_response_bound_is_below_and_close_to_epsilon(eps):
    sel_s, sel_m = _randomized_response(eps, 2000, seed=1)
    thr = privacy.select_thresholds(sel_s, sel_m, delta=1e-5)
    s, m = _randomized_response(eps, 50_000, seed=2)
    b = privacy.epsilon_lower_bound(s, m, thr, delta=1e-5, alpha=0.05)
    assert 0.9 * eps < b.epsilon < eps, b  # eps 0.5: 0.473; 1: 0.98; 2: 1.97
    assert b.threshold == 1.0 and b.n_members == b.n_nonmembers == 50_000
    # fewer samples: still below, further from eps
    s, m = _randomized_response(eps, 500, seed=3)
    small = privacy.epsilon_lower_bound(s, m, thr, delta=1e-5)
    assert small.epsilon < b.epsilon < eps


def test_bound_holds_with_its_confidence_on_repeated_experiments():
    """eps = 1 randomized response, 200 samples a class, 200 repetitions: the 95 %
    bound exceeds the true epsilon in at most ~5 % of them (here: counted)."""
    over = sum(
        privacy.epsilon_lower_bound(
            *_randomized_response(1.0, 200, seed=s), [1.0], delta=1e-5
        ).epsilon
        > 1.0
        for s in range(200)
    )
    assert over <= 10  # binomial(200, <= 0.05): 10 is its mean + 1.6 sd


def test_thresholds_picked_on_the_evaluation_set_are_caught():
    """A mechanism with no privacy loss (members and non-members score alike): the
    best of 200 thresholds picked on the evaluation samples themselves, without
    a correction, "shows" epsilon > 0.3; chosen on a disjoint set and corrected, the
    bound is 0. Passing the evaluation ids as the selection ids is refused."""
    rng = np.random.default_rng(0)
    s, m = rng.normal(size=400), np.repeat([True, False], 200)
    grid = np.quantile(s, np.linspace(0.005, 0.995, 200))
    fp = np.array([(s[~m] >= t).sum() for t in grid]) / 200
    fn = np.array([(s[m] < t).sum() for t in grid]) / 200
    naive = privacy.epsilon_from_rates(np.maximum(fp, 1e-9), np.maximum(fn, 1e-9), 1e-5).max()
    assert naive > 0.3
    sel = rng.normal(size=400)
    thr = privacy.select_thresholds(sel, m, delta=1e-5, k=5)
    assert privacy.epsilon_lower_bound(s, m, thr, delta=1e-5).epsilon == 0.0
    ids = np.arange(400)
    with pytest.raises(ValueError, match="chosen on 400 samples of the evaluation set"):
        privacy.epsilon_lower_bound(s, m, grid, delta=1e-5, ids=ids, selection_ids=ids)


def test_epsilon_from_rates_closed_form():
    # FPR 0.1, FNR 0.2, delta 0: max(log(0.8 / 0.1), log(0.9 / 0.2)) = log 8
    assert privacy.epsilon_from_rates([0.1], [0.2], 1e-12)[0] == pytest.approx(np.log(8))
    assert privacy.epsilon_from_rates([0.6], [0.6], 1e-5)[0] == 0.0  # worse than chance


def test_gdp_conversion_against_the_closed_form_curve():
    mu = 1.0
    # a point on the mu-GDP trade-off curve gives mu back
    alpha = 0.05
    beta = stats.norm.cdf(stats.norm.ppf(1 - alpha) - mu)
    assert privacy.gdp_mu_lower_bound(alpha, beta) == pytest.approx(mu)
    eps = privacy.gdp_epsilon(mu, 1e-5)
    delta_at = stats.norm.cdf(-eps / mu + mu / 2) - np.exp(eps) * stats.norm.cdf(-eps / mu - mu / 2)
    assert delta_at == pytest.approx(1e-5, rel=1e-6)
    assert 3.0 < eps < 5.0  # 1-GDP at delta 1e-5 is about (4.4, 1e-5)-DP
    assert privacy.gdp_epsilon(0.0, 1e-5) == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"delta": 0.0}, "delta must lie in"),
        ({"delta": 1.5}, "delta must lie in"),
        ({"delta": 1e-5, "alpha": 0.0}, "alpha must lie in"),
        ({"delta": 1e-5, "members": 0}, "need members and non-members"),
        ({"delta": 1e-5, "thresholds": []}, "at least one finite threshold"),
    ],
)
def test_bad_input_is_one_line(kwargs, match):
    kwargs = dict(kwargs)
    n_in = kwargs.pop("members", 5)
    thr = kwargs.pop("thresholds", [0.5])
    s = np.linspace(0, 1, 10)
    m = np.arange(10) < n_in
    with pytest.raises(ValueError, match=match) as err:
        privacy.epsilon_lower_bound(s, m, thr, **kwargs)
    assert "\n" not in str(err.value)


def test_prv_epsilon_is_tighter_than_rdp():
    """Adult's epsilon-10 target of the ablation run (noise 0.8899, q = 1/48, 2,880
    steps): RDP spends 9.99, the PRV accountant 9.16 (an independent PLD accountant
    gave 9.2)."""
    from opacus.accountants import RDPAccountant

    rdp = RDPAccountant()
    rdp.history = [(0.889892578125, 1 / 48, 2880)]
    r = rdp.get_epsilon(1e-5)
    p = privacy.prv_epsilon(0.889892578125, 1 / 48, 2880, 1e-5, rdp_epsilon=r)
    assert r == pytest.approx(9.99, abs=0.01) and p == pytest.approx(9.16, abs=0.05) and p < r
    assert np.isnan(privacy.prv_epsilon(0.2, 1 / 48, 2880, 1e-5, rdp_epsilon=1000.0))


def test_select_thresholds_ranks_by_the_bound_not_the_point_estimate():
    """Selection set: one threshold separates 3 members from everything (point
    estimate: infinite epsilon, on 3 samples), another 400 of 500 members from 50 of
    500 non-members. Ranked by the one-threshold bound, the well-supported one wins
    (hand count: its bound is log((1 - 1e-5 - FNR_hi) / FPR_hi) with FNR_hi, FPR_hi
    the Clopper-Pearson upper bounds of 100/500 and 50/500 at 0.025)."""
    s = np.concatenate([[10.0] * 3, [1.0] * 397, [0.0] * 100, [1.0] * 50, [0.0] * 450])
    m = np.arange(1000) < 500
    thr = privacy.select_thresholds(s, m, delta=1e-5, k=3)
    assert thr[0] == 1.0
    fpr_hi = stats.beta.ppf(0.975, 51, 450)
    fnr_hi = stats.beta.ppf(0.975, 101, 400)
    one = privacy.epsilon_lower_bound(s, m, [1.0], delta=1e-5, alpha=0.05)
    assert one.epsilon == pytest.approx(np.log((1 - 1e-5 - fnr_hi) / fpr_hi), rel=1e-12)


def test_one_run_audit_on_randomized_response_canaries():
    """m canaries, each in with a fair coin; an eps-DP randomized-response "model"
    reveals each canary's bit with probability e^eps / (1 + e^eps); the audit guesses
    on its most and least confident canaries. The bound stays below eps and comes
    close with many guesses; a score that ignores the bits shows nothing."""
    rng = np.random.default_rng(7)
    eps, m = 2.0, 20_000
    included = rng.random(m) < 0.5
    shown = np.where(rng.random(m) < np.exp(eps) / (1 + np.exp(eps)), included, ~included)
    scores = shown + rng.random(m) * 1e-3  # tie-break within each revealed value
    r, v = privacy.one_run_guesses(scores, included, k_pos=m // 2, k_neg=m // 2)
    lb = privacy.one_run_epsilon_lower_bound(r, v)
    assert 0.9 * eps < lb < eps
    r0, v0 = privacy.one_run_guesses(rng.random(m), included, k_pos=500, k_neg=500)
    assert privacy.one_run_epsilon_lower_bound(r0, v0) < 0.2
    # the binomial tail at the bound is alpha (scipy's survival function)
    p = 1 / (1 + np.exp(-lb))
    assert stats.binom.sf(v - 1, r, p) == pytest.approx(0.05, rel=1e-6)
    with pytest.raises(ValueError, match="k_pos \\+ k_neg"):
        privacy.one_run_guesses(scores, included, k_pos=m, k_neg=1)


def test_one_run_delta_form_hand_computed():
    """r = 3 guesses, all 3 right, eps = 0 (q = 1/2): f(3) = 1/8, f(2) = 1/2,
    f(1) = 7/8, f(0) = 1, so max_i (f(3 - i) - f(3)) / i = max(3/8, 3/8, 7/24) = 3/8;
    with m = 10 canaries and delta = 0.01 the p-value is 1/8 + 2 * 10 * 0.01 * 3/8."""
    assert privacy.one_run_p_value(3, 3, 0.0) == pytest.approx(1 / 8, rel=1e-12)
    got = privacy.one_run_p_value(3, 3, 0.0, delta=0.01, m=10)
    assert got == pytest.approx(1 / 8 + 0.2 * 3 / 8, rel=1e-12)
    assert privacy.one_run_p_value(3, 3, 0.0, delta=0.5, m=10) == 1.0  # capped
    with pytest.raises(ValueError, match="needs m >= guesses"):
        privacy.one_run_p_value(3, 3, 0.0, delta=0.01)


def test_one_run_delta_bound_is_below_the_pure_one_and_holds_its_level():
    """eps = 1 randomized-response canaries (m = 1,000, half included), guesses on the
    50 highest and 50 lowest scores, 200 seeded draws: the (eps, 1e-5) bound never
    exceeds the pure bound, and at its value the p-value is alpha. Randomized response
    is the binomial test's worst case, so the bound is exact: it exceeds the truth in
    5 % of draws in expectation; at most 19 of 200 here (the 99.5th percentile of
    Binomial(200, 0.05))."""
    over = 0
    for d in range(200):
        rng = np.random.default_rng([11, d])
        inc = rng.random(1000) < 0.5
        shown = np.where(rng.random(1000) < np.exp(1) / (1 + np.exp(1)), inc, ~inc)
        r, v = privacy.one_run_guesses(shown + rng.random(1000) * 1e-3, inc, 50, 50)
        pure = privacy.one_run_epsilon_lower_bound(r, v)
        approx = privacy.one_run_epsilon_lower_bound(r, v, delta=1e-5, m=1000)
        assert approx <= pure
        over += approx > 1.0
    assert over <= 19
    lb = privacy.one_run_epsilon_lower_bound(100, 80, delta=1e-5, m=1000)
    assert 0 < lb < privacy.one_run_epsilon_lower_bound(100, 80)
    assert privacy.one_run_p_value(100, 80, lb, 1e-5, 1000) == pytest.approx(0.05, rel=1e-6)
