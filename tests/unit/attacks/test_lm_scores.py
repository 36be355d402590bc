"""Language-model membership scores against per-document loops and closed forms."""

import zlib

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from diffcal.attacks import lm_scores as lm


def _tokens(seed=0, n_docs=7):
    """Long per-token arrays in shuffled order; document lengths 1 .. 12."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 13, size=n_docs)
    lengths[0] = 1  # shorter than 1 / k: min-k keeps one token
    doc = np.repeat(np.arange(n_docs), lengths)
    logp = -rng.exponential(2.0, size=len(doc))
    mu = -rng.exponential(2.0, size=len(doc))
    var = rng.exponential(1.0, size=len(doc))
    perm = rng.permutation(len(doc))
    return doc[perm], logp[perm], mu[perm], var[perm], n_docs


def _per_doc(doc, values, n_docs):
    return [np.asarray(values)[doc == d] for d in range(n_docs)]


def _loop_min_k(values_by_doc, k):
    # MIMIR's min-k (sorted, lowest int(n * k)), at least one token, our sign
    return np.array([np.mean(sorted(v)[: max(1, int(len(v) * k))]) for v in values_by_doc])


@pytest.mark.parametrize("k", [0.1, 0.2, 0.5, 1.0])
def test_min_k_matches_a_per_document_loop(k):
    doc, logp, _, _, n = _tokens()
    got = lm.min_k_score(doc, logp, n, k)
    np.testing.assert_allclose(got, _loop_min_k(_per_doc(doc, logp, n), k), rtol=1e-12)


@pytest.mark.parametrize("k", [0.2, 0.6])
def test_min_k_pp_matches_a_per_document_loop(k):
    doc, logp, mu, var, n = _tokens(seed=1)
    z = (logp - mu) / np.sqrt(var)
    got = lm.min_k_pp_score(doc, logp, mu, var, n, k)
    np.testing.assert_allclose(got, _loop_min_k(_per_doc(doc, z, n), k), rtol=1e-12)


def test_loss_and_zlib_match_a_loop():
    doc, logp, _, _, n = _tokens(seed=2)
    texts = ["a" * 200, "the cat sat on the mat", "x", "qwertyuiop" * 3, "é" * 9, "b c", "z"]
    loss = lm.loss_score(doc, logp, n)
    np.testing.assert_allclose(loss, [v.mean() for v in _per_doc(doc, logp, n)], rtol=1e-12)
    sizes = lm.zlib_bytes(texts)
    assert sizes.tolist() == [len(zlib.compress(t.encode("utf-8"))) for t in texts]
    assert sizes[0] < len(texts[0])  # a repetitive text compresses
    np.testing.assert_allclose(lm.zlib_score(loss, sizes), loss / sizes)


def test_point_mass_positions_give_z_zero():
    got = lm.min_k_pp_score(
        np.array([0, 0]), np.array([0.0, -1.0]), np.array([0.0, -1.0]), np.array([0.0, 0.0]), 1, 1.0
    )
    assert got.tolist() == [0.0]


def test_higher_means_member_and_calibration_removes_difficulty():
    """Members get higher log-probability from the target; documents differ in
    difficulty that the reference (which never saw them) shares. The uncalibrated
    loss ranks by difficulty, the calibrated one by membership."""
    rng = np.random.default_rng(3)
    n, length = 200, 20
    member = np.arange(n) < n // 2
    difficulty = rng.normal(0, 2.0, size=n)  # shared by target and reference
    doc = np.repeat(np.arange(n), length)
    ref = -np.abs(difficulty[doc] + rng.normal(0, 0.3, size=len(doc)))
    target = ref + 0.4 * member[doc]
    s_target = lm.loss_score(doc, target, n)
    s_ref = lm.loss_score(doc, ref, n)
    cal = lm.calibrated(s_target, s_ref)
    assert roc_auc_score(member, cal) == 1.0
    assert 0.5 < roc_auc_score(member, s_target) < 0.8
    for k in (0.2, 1.0):
        assert roc_auc_score(member, lm.min_k_score(doc, target, n, k)) > 0.5
    # the score of a sample the model finds likelier is higher (sign convention)
    assert lm.loss_score(np.array([0, 1]), np.array([-0.1, -3.0]), 2).argmax() == 0


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.array([0, 2]), np.array([-1.0, -1.0]), 3, 0.2), "documents without tokens"),
        ((np.array([0, 1]), np.array([-1.0, -1.0]), 2, 0.0), "k must lie in"),
        ((np.array([0, 1]), np.array([-1.0, -1.0]), 2, 1.5), "k must lie in"),
    ],
)
def test_bad_input_names_the_problem(args, match):
    with pytest.raises(ValueError, match=match):
        lm.min_k_score(*args)
