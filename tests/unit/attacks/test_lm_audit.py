"""A language model's audit: score columns, metrics against scikit-learn, the paired
gain, the blind baseline."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from diffcal.attacks import lm_audit


def _tokens(rng, n_docs, shift=None):
    lengths = rng.integers(2, 30, size=n_docs)
    doc = np.repeat(np.arange(n_docs), lengths)
    logp = -rng.exponential(2.0, size=len(doc))
    if shift is not None:
        logp = logp + shift[doc]
    return {"doc": doc, "logp": logp, "mu": logp - 0.5, "var": np.full(len(doc), 0.25)}


def test_document_scores_columns_and_calibration_by_a_loop():
    rng = np.random.default_rng(0)
    n = 12
    target = _tokens(rng, n)
    ref = {**target, "logp": target["logp"] - rng.uniform(0, 1, size=len(target["doc"]))}
    compressed = rng.integers(10, 50, size=n)
    got = lm_audit.document_scores(target, {"pre": ref}, n, [0.2], compressed)
    own = ["loss", "min_k@0.2", "min_kpp@0.2"]
    assert list(got.columns) == [*own, "zlib", *(f"{c}-cal:pre" for c in own)]
    for d in range(n):
        t = target["logp"][target["doc"] == d]
        r = ref["logp"][ref["doc"] == d]
        assert got["loss"][d] == pytest.approx(t.mean())
        assert got["zlib"][d] == pytest.approx(t.mean() / compressed[d])
        assert got["loss-cal:pre"][d] == pytest.approx(t.mean() - r.mean())
        keep = max(1, int(len(t) * 0.2))
        want = np.sort(t)[:keep].mean() - np.sort(r)[:keep].mean()
        assert got["min_k@0.2-cal:pre"][d] == pytest.approx(want)
        assert got["min_kpp@0.2"][d] == pytest.approx(1.0)  # (logp - mu) / sd = 0.5 / 0.5


def _loop_tpr(y, s, fpr):
    fprs, tprs, _ = roc_curve(y, s)
    return tprs[fprs <= fpr + 1e-12].max()


def test_metrics_and_gain_against_scikit_learn():
    rng = np.random.default_rng(1)
    n = 400
    member = rng.random(n) < 0.5
    scores = pd.DataFrame(
        {"weak": member * 0.3 + rng.normal(size=n), "strong": member * 1.5 + rng.normal(size=n)}
    )
    m = lm_audit.attack_metrics(scores, member, n_boot=200, seed=2).set_index("attack")
    for a in scores:
        assert m.loc[a, "auc"] == pytest.approx(roc_auc_score(member, scores[a]))
        assert m.loc[a, "tpr_at_fpr_0.01"] == pytest.approx(_loop_tpr(member, scores[a], 0.01))
        assert m.loc[a, "auc_low"] < m.loc[a, "auc"] < m.loc[a, "auc_high"]
    gain = lm_audit.auc_gain(scores, member, [("strong", "weak")], n_boot=200, seed=2).iloc[0]
    want = roc_auc_score(member, scores["strong"]) - roc_auc_score(member, scores["weak"])
    assert gain["gain"] == pytest.approx(want)
    assert 0 < gain["low"] < gain["gain"] < gain["high"]


def test_blind_baseline_sees_a_shift_and_not_a_random_split():
    rng = np.random.default_rng(3)
    words = np.array("alpha beta gamma delta epsilon zeta eta theta iota kappa".split())
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(300)]
    member = rng.random(300) < 0.5
    same = lm_audit.blind_baseline(texts, member, seed=0)
    assert abs(roc_auc_score(member, same) - 0.5) < 0.1
    shifted = [t + (" secret" if m else "") for t, m in zip(texts, member, strict=True)]
    assert roc_auc_score(member, lm_audit.blind_baseline(shifted, member, seed=0)) > 0.95


def test_lira_scores_against_a_per_document_gaussian():
    from scipy.stats import norm

    rng = np.random.default_rng(4)
    target = rng.normal(-3, 1, size=20)
    refs = rng.normal(-3.5, 0.5, size=(3, 20))
    got = lm_audit.lira_scores(target, refs)
    for d in range(20):  # each document's own Gaussian (population std, as LiRA's code)
        want = norm.logcdf(target[d], refs[:, d].mean(), refs[:, d].std())
        assert got["lira"][d] == pytest.approx(want)
    pooled = np.sqrt(((refs - refs.mean(0)) ** 2).mean())
    want = norm.logcdf(target, refs.mean(0), pooled)
    np.testing.assert_allclose(got["lira_global"], want)
    # sign: a target that fits its documents better than the references scores higher
    assert got["lira"][np.argmax(target - refs.mean(0))] > np.median(got["lira"])
    with pytest.raises(ValueError, match="at least 2 references"):
        lm_audit.lira_scores(target, refs[:1])


def test_blind_null_is_the_baseline_under_random_labels_and_flags_a_shift():
    from diffcal.reporting.lm_report import _blind_lines

    rng = np.random.default_rng(5)
    words = np.array("alpha beta gamma delta epsilon zeta eta theta iota kappa".split())
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(200)]
    member = rng.random(200) < 0.5
    null = lm_audit.blind_null(texts, member, seed=0, n=10)
    assert null.shape == (10,) and abs(null.mean() - 0.5) < 0.05
    np.testing.assert_array_equal(null, lm_audit.blind_null(texts, member, seed=0, n=10))
    shifted = [t + (" secret" if m else "") for t, m in zip(texts, member, strict=True)]
    observed = roc_auc_score(member, lm_audit.blind_baseline(shifted, member, seed=0))
    shifted_null = lm_audit.blind_null(shifted, member, seed=0)  # 20 relabellings
    assert observed > shifted_null.max()  # one-sided p = 1 / 21
    row = {"attack": "blind", "auc": observed, "auc_low": 0.9, "auc_high": 1.0}
    (line,) = [x for x in _blind_lines(pd.DataFrame([row]), shifted_null) if x]
    assert "p = 0.048" in line and "distribution shift" in line
    row["auc"] = float(np.median(shifted_null))
    (line,) = [x for x in _blind_lines(pd.DataFrame([row]), shifted_null) if x]
    assert "no sign of a shift" in line
