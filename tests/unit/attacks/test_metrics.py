"""Metrics against independent oracles: scikit-learn and brute-force loops."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

from diffcal.attacks import metrics


def _data(seed, n=200, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.5
    s = rng.normal(size=n) + 0.8 * y
    if ties:
        s = np.round(s, 1)
    return y, s


def _candidates(s):
    u = np.unique(s)
    return np.concatenate([[-np.inf], (u[1:] + u[:-1]) / 2, [np.inf]])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ties", [False, True])
def test_auc_matches_sklearn_and_pair_count(seed, ties):
    y, s = _data(seed, n=120, ties=ties)
    # Oracle 2: probability that a random member outscores a random non-member.
    sm, sn = s[y][:, None], s[~y][None, :]
    pairs = np.mean((sm > sn) + 0.5 * (sm == sn))
    assert metrics.auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert metrics.auc(y, s) == pytest.approx(pairs)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ties", [False, True])
def test_best_threshold_matches_brute_force(seed, ties):
    y, s = _data(seed, ties=ties)
    accs = [accuracy_score(y, s > t) for t in _candidates(s)]
    tau, acc = metrics.best_threshold(y, s)
    assert acc == pytest.approx(max(accs))
    assert accuracy_score(y, s > tau) == pytest.approx(acc)
    # ties go to the smallest maximising threshold
    assert tau == _candidates(s)[int(np.argmax(accs))]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", [0.0, 0.01, 0.1, 0.5])
def test_tpr_at_fpr_matches_brute_force(seed, level):
    y, s = _data(seed, ties=seed % 2 == 0)
    best = 0.0
    for t in _candidates(s):
        pred = s > t
        if np.mean(pred[~y]) <= level:
            best = max(best, np.mean(pred[y]))
    assert metrics.tpr_at_fpr(y, s, level) == pytest.approx(best)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", [0.01, 0.1, 0.5, 1.0])
def test_precision_at_recall_matches_brute_force(seed, level):
    y, s = _data(seed, ties=seed % 2 == 1)
    best = 0.0
    cands = _candidates(s)[:-1]  # +inf predicts nothing: recall 0
    for t in cands:
        pred = s > t
        tp = np.sum(pred & y)
        if tp / y.sum() >= level:
            best = max(best, tp / pred.sum())
    assert metrics.precision_at_recall(y, s, level) == pytest.approx(best)
    # the loop's counts are scikit-learn's (checked at a few thresholds: the calls
    # cost a millisecond each, the loop visits ~200)
    for t in cands[:: len(cands) // 4]:
        pred = s > t
        assert np.sum(pred & y) / y.sum() == pytest.approx(recall_score(y, pred))
        assert np.sum(pred & y) / pred.sum() == pytest.approx(precision_score(y, pred))


def test_rates_at_threshold_hand_computed():
    y = np.array([1, 1, 1, 0, 0], dtype=bool)
    s = np.array([0.9, 0.6, 0.1, 0.7, 0.2])
    r = metrics.rates_at_threshold(y, s, 0.5)  # predicted members: 0.9, 0.6, 0.7
    assert r == {"fpr": 0.5, "tpr": pytest.approx(2 / 3), "precision": pytest.approx(2 / 3)}
    assert metrics.accuracy_at_threshold(y, s, 0.5) == pytest.approx(3 / 5)


def test_sign_convention_higher_score_is_member():
    y = np.array([1, 1, 0, 0], dtype=bool)
    assert metrics.auc(y, np.array([2.0, 3.0, 0.0, 1.0])) == 1.0
    assert metrics.auc(y, -np.array([2.0, 3.0, 0.0, 1.0])) == 0.0
    tau, acc = metrics.best_threshold(y, np.array([2.0, 3.0, 0.0, 1.0]))
    assert (tau, acc) == (1.5, 1.0)


def test_invalid_input_is_rejected():
    with pytest.raises(ValueError, match="both members and non-members"):
        metrics.auc(np.ones(3, dtype=bool), np.arange(3.0))
    with pytest.raises(ValueError, match="NaN"):
        metrics.auc(np.array([1, 0]), np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="equal length"):
        metrics.auc(np.array([1, 0]), np.array([1.0]))


def test_tpr_at_fpr_strict_is_the_lira_code_convention():
    """FPR <= level (ours) against < level (LiRA's code): at a level that
    is a multiple of 1 / non-members they differ by one false positive; checked
    against a loop over thresholds."""
    rng = np.random.default_rng(5)
    y = np.r_[np.ones(30, bool), np.zeros(10, bool)]
    s = rng.normal(size=40) + y
    s[np.flatnonzero(~y)[-1]] = s.max() + 1  # one non-member above every member

    def loop(level, strict):
        best = 0.0
        for t in np.r_[np.inf, np.sort(s)]:
            fp, tp = (s[~y] >= t).mean(), (s[y] >= t).mean()
            if (fp < level if strict else fp <= level) or fp == 0:
                best = max(best, tp)
        return best

    for level in (0.0, 0.05, 0.1, 0.2):
        for strict in (False, True):
            assert metrics.tpr_at_fpr(y, s, level, strict=strict) == pytest.approx(
                loop(level, strict)
            ), (level, strict)
    assert metrics.tpr_at_fpr(y, s, 0.1) > metrics.tpr_at_fpr(y, s, 0.1, strict=True)
