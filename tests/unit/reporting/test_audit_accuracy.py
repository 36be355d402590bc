"""The target's accuracies at the top of an audit report: the mean over splits
with the exact binomial interval of the pooled correct predictions (scipy's
binomtest, an independent implementation, as the oracle)."""

import numpy as np
from scipy.stats import binomtest

from diffcal.reporting.audit import AuditSplit, _accuracy_cell


def _split(n_members, n_non, acc_members, acc_non):
    member = np.r_[np.ones(n_members, bool), np.zeros(n_non, bool)]
    return AuditSplit(np.arange(len(member)), member, {}, (acc_members, acc_non))


def test_accuracy_cells_are_the_mean_and_the_pooled_clopper_pearson_interval():
    splits = [_split(200, 300, 0.94, 0.62), _split(200, 300, 0.905, 0.6)]
    ci = binomtest(188 + 181, 400).proportion_ci(0.95, method="exact")
    assert _accuracy_cell(splits, 0) == f"0.922 [{ci.low:.3f}, {ci.high:.3f}]"
    ci = binomtest(186 + 180, 600).proportion_ci(0.95, method="exact")
    assert _accuracy_cell(splits, 1) == f"0.610 [{ci.low:.3f}, {ci.high:.3f}]"


def test_every_member_right_reaches_one_and_no_predictions_say_so():
    assert _accuracy_cell([_split(50, 50, 1.0, 0.5)], 0).endswith(", 1.000]")
    assert _accuracy_cell([_split(50, 50, np.nan, np.nan)], 1) == "not given"


def test_the_report_says_when_a_split_takes_the_large_sample_intervals(monkeypatch):
    from diffcal.reporting import audit

    monkeypatch.setattr(audit, "LARGE_N", 500)  # the report's wording
    monkeypatch.setattr("diffcal.attacks.audit.LARGE_N", 500)  # the intervals
    rng = np.random.default_rng(0)
    for n, large in ((400, False), (1200, True)):
        member = rng.random(n) < 0.5
        score = member + rng.normal(size=n)
        split = audit.AuditSplit(np.arange(n), member, {"loss_orig": score}, (0.9, 0.6))
        result = audit.compute_audit([split], [0.1], seeds=[1], n_boot=200)
        intro = audit.report_blocks(result, "t", "Your model:", "roc.png")[1][1]
        assert ("DeLong" in intro) == large
