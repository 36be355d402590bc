"""Trade-off curves against closed forms and independent oracles."""

import numpy as np
import pytest
from scipy import stats

from diffcal.stats.privacy import gdp_epsilon
from diffcal.stats.tradeoff import dp_tradeoff, gdp_mu, gdp_tradeoff


@pytest.mark.parametrize("eps", [0.5, 1.0, 2.0])
def test_pure_dp_curve_is_randomized_responses_best_tests(eps):
    """Randomized response at eps is exactly eps-DP; the least FNR at each FPR of
    its tests (randomising between its three deterministic tests) is the polygon
    (0, 1) - (p, p) - (1, 0), p = 1 / (1 + e^eps)."""
    p = 1.0 / (1.0 + np.exp(eps))
    alpha = np.linspace(0, 1, 101)
    polygon = np.interp(alpha, [0.0, p, 1.0], [1.0, p, 0.0])
    np.testing.assert_allclose(dp_tradeoff(alpha, eps, 0.0), polygon, atol=1e-12)


def test_delta_lowers_the_curve_and_infinite_epsilon_promises_nothing():
    alpha = np.linspace(0, 1, 11)
    assert (dp_tradeoff(alpha, 1.0, 0.01) <= dp_tradeoff(alpha, 1.0, 0.0)).all()
    assert dp_tradeoff(alpha, 1.0, 0.01)[0] == pytest.approx(0.99)
    np.testing.assert_array_equal(dp_tradeoff(alpha, np.inf, 1e-5), 0.0)


@pytest.mark.parametrize("mu", [0.3, 1.0, 2.5])
def test_gdp_curve_is_the_neyman_pearson_test_of_two_normals(mu):
    """Thresholds t of N(0, 1) against N(mu, 1): FPR = P(X0 > t), FNR = P(X1 <= t)."""
    t = np.linspace(-4, 6, 201)
    fpr, fnr = stats.norm.sf(t), stats.norm.cdf(t - mu)
    np.testing.assert_allclose(gdp_tradeoff(fpr, mu), fnr, atol=1e-12)


@pytest.mark.parametrize("eps", [0.5, 1.0, 10.0, 100.0])
def test_gdp_mu_inverts_the_gdp_epsilon_conversion(eps):
    """gdp_epsilon (Dong, Roth, Su, Cor. 2.13, its own root finder) of gdp_mu
    gives eps back; the Gaussian curve lies above the (eps, delta) edge."""
    mu = gdp_mu(eps, 1e-5)
    assert gdp_epsilon(mu, 1e-5) == pytest.approx(eps, rel=1e-6)
    alpha = np.linspace(0, 1, 201)
    assert (gdp_tradeoff(alpha, mu) >= dp_tradeoff(alpha, eps, 1e-5) - 1e-9).all()
    assert gdp_mu(np.inf, 1e-5) == np.inf
