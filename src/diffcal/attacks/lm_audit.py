"""A language model's audit from per-token scores: every attack's score per document,
its metrics with intervals, what calibration adds, and a blind baseline.

Inputs are what the scoring stage writes per model (or what a user computed
anywhere, the scores-only entry point): per-token ``doc``, ``logp``, ``mu``,
``var`` arrays (:func:`diffcal.training.causal_lm.token_scores`) of the target
and of each reference, over the same documents and tokenizer.

Attack columns (higher = member; :mod:`diffcal.attacks.lm_scores`):
``loss``, ``zlib``, ``min_k@<k>``, ``min_kpp@<k>`` uncalibrated, and
``<score>-cal:<reference>`` (eq. 5: the target's score minus the reference's) for
``loss``, ``min_k@<k>`` and ``min_kpp@<k>``. zlib is itself a calibration (by the
text's compressed length) and is not calibrated again. ``lira`` and
``lira_global``: offline LiRA on the loss against several references.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.attacks import lm_scores as lm
from diffcal.attacks.metrics import auc, tpr_at_fpr
from diffcal.attacks.reference import lira_offline
from diffcal.stats.intervals import Resamples, resampled_auc, weighted_tpr_at_fpr

TokenScores = Mapping[str, np.ndarray]  # doc, logp, mu, var: (t,) each


def _own_scores(tokens: TokenScores, n_docs: int, ks: Sequence[float]) -> dict[str, np.ndarray]:
    doc, logp = tokens["doc"], tokens["logp"]
    out = {"loss": lm.loss_score(doc, logp, n_docs)}
    for k in ks:
        out[f"min_k@{k:g}"] = lm.min_k_score(doc, logp, n_docs, k)
        out[f"min_kpp@{k:g}"] = lm.min_k_pp_score(doc, logp, tokens["mu"], tokens["var"], n_docs, k)
    return out


def document_scores(
    target: TokenScores,
    references: Mapping[str, TokenScores],
    n_docs: int,
    ks: Sequence[float],
    compressed: np.ndarray | None = None,
    lira_references: Sequence[TokenScores] = (),
) -> pd.DataFrame:
    """One row per document, one column per attack (module docstring).
    ``lira_references``: references for :func:`lira_scores` (none: no LiRA column).
    ``compressed``: ``(n_docs,)`` zlib sizes of the scored texts
    (:func:`diffcal.attacks.lm_scores.zlib_bytes`); without them
    there is no ``zlib`` column."""
    own = _own_scores(target, n_docs, ks)
    cols = dict(own)
    if compressed is not None:
        cols["zlib"] = lm.zlib_score(own["loss"], compressed)
    for name, tokens in references.items():
        ref = _own_scores(tokens, n_docs, ks)
        cols.update({f"{s}-cal:{name}": lm.calibrated(own[s], ref[s]) for s in own})
    if lira_references:
        losses = [lm.loss_score(t["doc"], t["logp"], n_docs) for t in lira_references]
        cols.update(lira_scores(own["loss"], np.stack(losses)))
    return pd.DataFrame(cols)


def lira_scores(target_loss: np.ndarray, reference_losses: np.ndarray) -> dict[str, np.ndarray]:
    """Offline LiRA (Carlini et al. 2022) on document scores: ``target_loss``
    ``(n,)`` (:func:`diffcal.attacks.lm_scores.loss_score`, higher = member) against
    a Gaussian fitted to ``reference_losses`` ``(m, n)`` of ``m >= 2`` references that
    never trained on the documents. ``lira``: each document's own mean and std;
    ``lira_global``: one std pooled over documents (the fixed variance)."""
    refs = np.asarray(reference_losses, np.float64)
    if refs.ndim != 2 or refs.shape[0] < 2:
        raise ValueError(f"LiRA needs at least 2 references, got shape {refs.shape}")
    out = np.zeros(refs.shape, dtype=bool)
    return {
        "lira": lira_offline(target_loss, refs, out),
        "lira_global": lira_offline(target_loss, refs, out, global_variance=True),
    }


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def attack_metrics(
    scores: pd.DataFrame,
    is_member: np.ndarray,
    *,
    fprs: Sequence[float] = (0.01, 0.001),
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """AUC and TPR at each FPR per attack column, each with a percentile bootstrap
    interval (stratified resamples of the documents, the same resamples for every
    attack). ``is_member``: ``(n,)`` bool. One row per attack."""
    is_member = np.asarray(is_member, dtype=bool)
    r = Resamples(is_member, n_boot, np.random.default_rng(seed))
    weights = r.dense()
    rows = []
    for attack in scores.columns:
        s = scores[attack].to_numpy()
        row = {"attack": attack, "auc": auc(is_member, s)}
        row["auc_low"], row["auc_high"] = _interval(resampled_auc(r, s), level)
        for f in fprs:
            row[f"tpr_at_fpr_{f:g}"] = tpr_at_fpr(is_member, s, f)
            boot = weighted_tpr_at_fpr(is_member, s, f, weights)
            row[f"tpr_at_fpr_{f:g}_low"], row[f"tpr_at_fpr_{f:g}_high"] = _interval(boot, level)
        rows.append(row)
    return pd.DataFrame(rows)


def auc_gain(
    scores: pd.DataFrame,
    is_member: np.ndarray,
    pairs: Sequence[tuple[str, str]],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """AUC of ``a`` minus AUC of ``b`` for each ``(a, b)`` with a paired bootstrap
    interval (both AUCs on the same resample). Columns: attack, baseline, gain,
    low, high."""
    r = Resamples(np.asarray(is_member, dtype=bool), n_boot, np.random.default_rng(seed))
    rows = []
    for a, b in pairs:
        sa, sb = scores[a].to_numpy(), scores[b].to_numpy()
        low, high = _interval(resampled_auc(r, sa) - resampled_auc(r, sb), level)
        gain = auc(is_member, sa) - auc(is_member, sb)
        rows.append({"attack": a, "baseline": b, "gain": gain, "low": low, "high": high})
    return pd.DataFrame(rows)


def blind_baseline(
    texts: Sequence[str], is_member: np.ndarray, *, seed: int, folds: int = 5
) -> np.ndarray:
    """Out-of-fold member probability of each text from a bag-of-words logistic
    regression trained on the other folds' texts and labels (no model involved).
    Its AUC near 0.5 says members and non-members cannot be told apart by their
    words; well above it, a distribution shift would pass for leakage.
    ``(n,)`` texts, ``(n,)`` bool -> ``(n,)`` float64."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(CountVectorizer(min_df=2), LogisticRegression(max_iter=1000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed % 2**32)
    y = np.asarray(is_member, dtype=int)
    return cross_val_predict(model, list(texts), y, cv=cv, method="predict_proba")[:, 1]


def blind_null(
    texts: Sequence[str], is_member: np.ndarray, *, seed: int, n: int = 20
) -> np.ndarray:
    """The blind baseline's AUC under ``n`` random relabellings of the same texts
    (the member labels permuted; permutations and folds drawn from ``seed``): what
    it scores when the words carry no membership signal. Its bootstrap interval
    over documents leaves out the classifier's own variation across fits, so the
    observed AUC is judged against this distribution instead. ``(n,)`` float64."""
    rng = np.random.default_rng(seed)
    y = np.asarray(is_member, dtype=bool)
    out = np.empty(n)
    for i in range(n):
        perm = rng.permutation(y)
        out[i] = auc(perm, blind_baseline(texts, perm, seed=seed + 1 + i))
    return out
