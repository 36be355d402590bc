"""Scores, calibration and attack assembly: closed-form toy cases and sign conventions."""

import numpy as np
import pytest

from diffcal.attacks import calibration as attacks
from diffcal.attacks import metrics
from diffcal.attacks.evaluate import attack_metrics, compute_attacks


def test_calibrate_closed_form():
    target = np.array([-0.1, -2.0, -0.5])
    refs = np.array([[-1.0, -2.0, -0.5], [-3.0, -2.0, -0.5]])
    np.testing.assert_allclose(attacks.calibrate(target, refs), [1.9, 0.0, 0.0])


def test_calibrate_matches_per_sample_loop():
    rng = np.random.default_rng(0)
    target, refs = rng.normal(size=50), rng.normal(size=(4, 50))
    loop = [target[i] - sum(refs[k, i] for k in range(4)) / 4 for i in range(50)]
    np.testing.assert_allclose(attacks.calibrate(target, refs), loop)


def test_calibrate_rejects_bad_shapes():
    with pytest.raises(ValueError, match="references must be"):
        attacks.calibrate(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="references must be"):
        attacks.calibrate(np.zeros(3), np.zeros((2, 4)))


@pytest.mark.parametrize(
    "name, member, nonmember",
    [
        # a member has a lower loss, a smaller gradient, a higher confidence
        ("loss", {"loss": 0.01}, {"loss": 2.0}),
        ("gn", {"grad_norm": 0.1}, {"grad_norm": 5.0}),
        ("confidence", {"max_log_prob": -0.01}, {"max_log_prob": -1.5}),
    ],
)
def test_scores_are_higher_for_members(name, member, nonmember):
    key = next(iter(member))
    s_member = attacks.SCORES[name]({key: np.array([member[key]])})
    s_nonmember = attacks.SCORES[name]({key: np.array([nonmember[key]])})
    assert s_member[0] > s_nonmember[0]


def test_calibration_flags_hard_member_over_easy_nonmember():
    """Paper section 3: an easy non-member (low loss everywhere) and a hard member
    (high loss on references, lower on the target): Orig ranks them wrongly, Cal
    ranks them rightly."""
    target = {
        "loss": np.array([[0.05, 0.5]]),
        "grad_norm": np.zeros((1, 2)),
        "max_log_prob": np.zeros((1, 2)),
        "correct": np.array([[True, True]]),
    }
    refs = {
        "loss": np.array([[0.05, 3.0], [0.06, 2.5]]),
        "grad_norm": np.zeros((2, 2)),
        "max_log_prob": np.zeros((2, 2)),
        "correct": np.ones((2, 2), dtype=bool),
    }
    out = compute_attacks(
        target, refs, refs, scores=["loss"], calibrations=["orig", "cal"], gap=True
    )
    # sample 0: easy non-member; sample 1: hard member
    assert out["loss_orig"][0] > out["loss_orig"][1]
    assert out["loss_cal"][1] > out["loss_cal"][0]
    np.testing.assert_allclose(out["loss_cal"], [-0.05 + 0.055, -0.5 + 2.75])
    np.testing.assert_array_equal(out["gap"], [1.0, 1.0])


def test_gap_attack_accuracy_is_yeoms_closed_form():
    """Yeom et al. (2018): the gap attack's accuracy on a balanced set is
    (train accuracy + 1 - test accuracy) / 2, and its AUC, for a 0/1 score, is
    P(member correct, non-member wrong) + 1/2 P(tie), counted pair by pair."""
    rng = np.random.default_rng(3)
    is_member = np.repeat([True, False], 40)
    correct = np.where(is_member, rng.random(80) < 0.9, rng.random(80) < 0.6)
    s = attacks.gap_score(correct)
    m = attack_metrics(
        is_member,
        s,
        is_member,
        s,
        calibrated=False,
        is_gap=True,
        fpr_levels=[0.1],
        recall_levels=[0.5],
    )
    train_acc, test_acc = correct[is_member].mean(), correct[~is_member].mean()
    assert m["acc"] == pytest.approx((train_acc + 1 - test_acc) / 2)
    pairs = [(a, b) for a in correct[is_member] for b in correct[~is_member]]
    auc = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
    assert m["auc"] == pytest.approx(auc)


def test_attack_metrics_uses_threshold_set_tau():
    y = np.array([True, True, False, False])
    thr_score = np.array([0.9, 0.8, 0.1, 0.2])  # best tau = 0.5
    eval_score = np.array([0.6, 0.4, 0.3, 0.7])
    m = attack_metrics(
        y,
        eval_score,
        y,
        thr_score,
        calibrated=True,
        is_gap=False,
        fpr_levels=[0.5],
        recall_levels=[0.5],
    )
    assert m["tau"] == 0.5
    assert m["acc"] == metrics.accuracy_at_threshold(y, eval_score, 0.5) == 0.5
    assert m["acc_tau0"] == 0.5  # everything above 0 is called a member
    assert m["acc_threshold_set"] == 1.0
    assert m["auc"] == pytest.approx(metrics.auc(y, eval_score))


def test_attack_names_are_the_columns_compute_attacks_fills():
    """Every score x calibration, gap first: the names the tables expect are exactly
    the columns computed, each with its own values, and each has a display label."""
    from diffcal.reporting.labels import column_label

    rng = np.random.default_rng(1)
    outs = lambda k: {  # noqa: E731
        "loss": rng.random((k, 6)),
        "grad_norm": rng.random((k, 6)),
        "max_log_prob": -rng.random((k, 6)),
        "correct": rng.random((k, 6)) < 0.5,
    }
    scores, cals = list(attacks.SCORES), list(attacks.CALIBRATIONS)
    names = attacks.attack_names(scores, cals, True)
    out = compute_attacks(outs(1), outs(3), outs(2), scores=scores, calibrations=cals, gap=True)
    assert list(out) == names and names[0] == "gap"
    assert len({tuple(v) for v in out.values()}) == len(names)  # no column copies another
    labels = [column_label(n) for n in names]
    assert len(set(labels)) == len(labels) and all("_" not in lab for lab in labels)
