"""Three-valued verdicts (diffcal.stats.verdicts): intervals against scipy's own
t-test interval and a hand-computed Welch case; one constructed case per verdict."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from diffcal.stats.verdicts import (
    CONTRADICTED,
    HOLDS,
    INCONCLUSIVE,
    band_effect,
    combine,
    paired_effect,
    welch_effect,
)


def test_paired_interval_is_scipys_one_sample_t_interval():
    v = np.array([0.012, 0.020, -0.004, 0.031, 0.009])
    e = paired_effect(v)
    ci = stats.ttest_1samp(v, 0.0).confidence_interval(0.95)
    assert e.mean == pytest.approx(v.mean())
    assert (e.low, e.high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert e.n == 5 and not e.point


@pytest.mark.parametrize(
    "values, verdict",
    [
        ([0.05, 0.06, 0.04], HOLDS),  # interval above zero
        ([-0.05, -0.06, -0.04], CONTRADICTED),  # below zero
        ([-0.03, 0.05, 0.04], INCONCLUSIVE),  # contains zero
        ([0.02], HOLDS),
        ([-0.02], CONTRADICTED),
        ([0.0], INCONCLUSIVE),
    ],  # points
)
def test_one_case_per_verdict(values, verdict):
    assert paired_effect(values).verdict == verdict


def test_welch_interval_matches_the_formula_and_reduces_to_one_sample():
    # mean 0.60 sd 0.02 n 3 vs mean 0.55 sd 0.01 n 5
    e = welch_effect(0.60, 0.02, 3, 0.55, 0.01, 5)
    va, vb = 0.02**2 / 3, 0.01**2 / 5
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 4)
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    assert (e.mean, e.low, e.high) == pytest.approx((0.05, 0.05 - half, 0.05 + half))
    # one-sample: the same as scipy's t interval of values with that mean and sd
    v = np.array([0.10, 0.13, 0.07, 0.12])
    one = welch_effect(v.mean(), v.std(ddof=1), 4, 0.05)
    ci = stats.ttest_1samp(v, 0.05).confidence_interval(0.95)
    assert (one.low + 0.05, one.high + 0.05) == pytest.approx((ci.low, ci.high))
    assert welch_effect(0.6, np.nan, 1, 0.5).point  # one split: the point


def test_combine_rules():
    h, c, i = HOLDS, CONTRADICTED, INCONCLUSIVE
    assert combine([h, h]) == h and combine([h, c]) == c and combine([h, i]) == i
    assert combine([h, h, i], "most") == h and combine([c, c, h, h], "most") == c
    assert combine([h, c, i], "most") == i
    assert combine([c, h], "any") == h and combine([c, c], "any") == c
    assert combine([c, i], "any") == i
    with pytest.raises(ValueError, match="unknown rule"):
        combine([h], "some")
    with pytest.raises(ValueError, match="no effects"):
        combine([])


def test_band_verdicts_and_bad_input():
    assert band_effect(paired_effect([0.50, 0.505, 0.495]), 0.5, 0.02) == HOLDS
    assert band_effect(paired_effect([0.60, 0.61, 0.62]), 0.5, 0.02) == CONTRADICTED
    assert band_effect(paired_effect([0.49, 0.55, 0.52]), 0.5, 0.02) == INCONCLUSIVE
    with pytest.raises(ValueError, match="NaN"):
        paired_effect([0.1, np.nan])
    with pytest.raises(ValueError, match="1-d"):
        paired_effect([])
