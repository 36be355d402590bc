"""The large-split intervals of an audit (diffcal.stats.large_sample) against the
exact resamples on 200,000 samples: every interval bound of every cell (AUC, TPR
at each FPR level, a pair's difference) within 0.002. Slow tier: the exact path
holds 2.4 GB of resample weights here (that is why the other path exists)."""

import numpy as np

from diffcal.attacks import audit
from diffcal.stats import large_sample


def test_large_split_intervals_are_within_0002_of_the_exact_ones(monkeypatch):
    rng = np.random.default_rng(0)
    n = 200_000
    y = rng.random(n) < 0.5
    hard = rng.exponential(1.0, n)
    orig = -(hard * np.where(y, 0.8, 1.0))
    scores = {"loss_orig": orig, "loss_cal": orig + hard + rng.normal(0, 0.05, n)}
    splits = [(y, scores)]
    kwargs = {"seeds": [3], "pairs": [("loss_cal", "loss_orig")], "n_boot": 1000}
    large = audit.summary_with_intervals(splits, [0.01, 0.001], **kwargs)
    monkeypatch.setattr(audit, "LARGE_N", 10 * n)
    exact = audit.summary_with_intervals(splits, [0.01, 0.001], **kwargs)
    assert n > large_sample.LARGE_N and len(large) == len(exact) == 9
    merged = exact.merge(large, on=["attack", "metric"], suffixes=("_exact", "_large"))
    assert (merged["value_exact"] == merged["value_large"]).all()
    gap = np.maximum(
        (merged["low_exact"] - merged["low_large"]).abs(),
        (merged["high_exact"] - merged["high_large"]).abs(),
    )
    assert gap.max() <= 0.002, merged.assign(gap=gap).to_string()
