"""Attacks that followed difficulty calibration, on the same per-sample outputs:
LiRA (Carlini et al., S&P 2022) and RMIA (Zarifzadeh et al., ICML 2024).

Pure numpy/scipy. Sign convention as everywhere in diffcal: a higher score means
"more likely a member". Shapes: ``n`` target samples, ``m`` reference models,
``k`` population samples. A membership matrix ``is_in`` ``(m, n)`` says which
reference trained on which sample (LiRA online and RMIA online need IN models).

Written here because no maintained library exposes these tests as functions of
per-sample outputs (ML Privacy Meter bundles them with its own training loop and
data handling); the formulas follow the papers and are checked against per-sample
loops and a Gaussian toy case in tests/unit/attacks/test_reference_attacks.py.
"""

from __future__ import annotations

import warnings

import numpy as np

from diffcal.stats.large_sample import LARGE_N

#: Floor of a per-sample standard deviation (LiRA with few references).
MIN_STD = 1e-6
#: Samples per chunk of the reference statistics of many samples.
CHUNK = 65_536


def _norm():
    """scipy.stats' normal distribution, imported when an attack needs it
    (scipy.stats takes most of a second to import; a report that only names the
    attacks does not pay it)."""
    from scipy.stats import norm

    return norm


def logit_confidence(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """LiRA's statistic ``log(p_y / (1 - p_y))`` from logits, computed stably as
    ``z_y - logsumexp_{j != y} z_j`` (no softmax, so no 1 - 1 = 0 for confident
    samples).

    Args:
        logits: ``(..., n, C)`` logits.
        labels: ``(n,)`` true labels.

    Returns:
        ``(..., n)`` float64.

    >>> logit_confidence(np.array([[0.0, 0.0]]), np.array([0]))
    array([0.])
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    zy = np.take_along_axis(z, np.broadcast_to(y[:, None], z.shape[:-1] + (1,)), -1)[..., 0]
    others = z.copy()
    np.put_along_axis(others, np.broadcast_to(y[:, None], z.shape[:-1] + (1,)), -np.inf, -1)
    from scipy.special import logsumexp  # here: the config imports the registry to plan

    return zy - logsumexp(others, axis=-1)


def _masked_stats(values: np.ndarray, mask: np.ndarray, global_variance: bool, missing: str):
    """Per-sample mean and std of ``values[:, i]`` over references where ``mask``
    (``(m, n)`` both); the std pooled over all samples with ``global_variance``.

    ``missing``: what a sample without any reference of this kind gets: ``"raise"``
    refuses it; ``"global"`` gives it the mean and pooled std of every (reference,
    sample) value of this kind (with few references, e.g. a budget of M = 1, about
    half the samples have no OUT model; they fall back on the population's
    statistics, which ranks them as the uncalibrated score would).
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(mask, dtype=bool)
    count = w.sum(axis=0)
    none = count == 0
    if none.any():
        if missing == "raise" or not w.any():
            raise ValueError(f"{int(none.sum())} samples have no reference of this kind")
        if missing != "global":
            raise ValueError(f"missing must be 'raise' or 'global', got {missing!r}")
    if v.shape[1] > LARGE_N:
        return _masked_stats_by_chunks(v, w, count, global_variance)
    mean = np.where(w, v, 0.0).sum(axis=0) / np.maximum(count, 1)
    pooled_mean = v[w].mean() if w.any() else 0.0
    mean = np.where(none, pooled_mean, mean)
    dev2 = np.where(w, (v - mean) ** 2, 0.0)
    pooled_std = np.sqrt(dev2.sum() / w.sum()) if w.any() else 0.0
    if global_variance:
        std = np.full(v.shape[1], pooled_std)
    else:
        std = np.where(none, pooled_std, np.sqrt(dev2.sum(axis=0) / np.maximum(count, 1)))
    return mean, np.maximum(std, MIN_STD)


def _masked_stats_by_chunks(v, w, count, global_variance: bool):
    """:func:`_masked_stats` for many samples, ``CHUNK`` columns at a time (memory:
    a chunk's temporaries, not five ``(m, n)`` copies): the same numbers to float
    rounding (the pooled sums are summed by columns)."""
    n, none = v.shape[1], count == 0
    col_sum, col_dev = np.empty(n), np.empty(n)
    for s in range(0, n, CHUNK):
        col_sum[s : s + CHUNK] = np.where(w[:, s : s + CHUNK], v[:, s : s + CHUNK], 0.0).sum(axis=0)
    total = int(count.sum())
    pooled_mean = col_sum.sum() / total if total else 0.0
    mean = np.where(none, pooled_mean, col_sum / np.maximum(count, 1))
    for s in range(0, n, CHUNK):
        dev = (v[:, s : s + CHUNK] - mean[s : s + CHUNK]) ** 2
        col_dev[s : s + CHUNK] = np.where(w[:, s : s + CHUNK], dev, 0.0).sum(axis=0)
    pooled_std = np.sqrt(col_dev.sum() / total) if total else 0.0
    if global_variance:
        std = np.full(n, pooled_std)
    else:
        std = np.where(none, pooled_std, np.sqrt(col_dev / np.maximum(count, 1)))
    return mean, np.maximum(std, MIN_STD)


def masked_mean(values: np.ndarray, mask: np.ndarray, *, missing: str = "raise") -> np.ndarray:
    """``(n,)`` mean of ``values[:, i]`` (``(m, n)``) over the references where
    ``mask`` (``(m, n)`` bool); samples without one as in ``_masked_stats``."""
    return _masked_stats(values, mask, False, missing)[0]


def calibrated_loss(
    target_loss: np.ndarray, ref_loss: np.ndarray, is_in: np.ndarray, *, missing: str = "raise"
) -> np.ndarray:
    """This paper's calibrated loss attack (eq. 5 on the loss score) with the OUT
    references of a pool: ``-(loss_target - mean_OUT loss_ref)``. (Ye et al.'s
    "Attack-R", RMIA's baseline, instead thresholds each sample at a percentile of
    its reference losses; offline LiRA is its Gaussian version.)

    Args:
        target_loss: ``(n,)`` cross-entropy of the target.
        ref_loss: ``(m, n)`` cross-entropy of each reference.
        is_in: ``(m, n)`` bool; only references with ``~is_in`` are used.
    """
    out_mean = masked_mean(ref_loss, ~np.asarray(is_in, dtype=bool), missing=missing)
    return -(np.asarray(target_loss, dtype=np.float64) - out_mean)


def lira_online(
    target: np.ndarray,
    refs: np.ndarray,
    is_in: np.ndarray,
    *,
    global_variance: bool = False,
    missing: str = "raise",
) -> np.ndarray:
    """Online LiRA: the log-likelihood ratio of the target's statistic under
    Gaussians fitted to the IN and to the OUT references of each sample.

    Args:
        target: ``(n,)`` target statistic (:func:`logit_confidence`).
        refs: ``(m, n)`` the references' statistics on the same samples.
        is_in: ``(m, n)`` bool, reference j trained on sample i.
        global_variance: one variance per kind (IN / OUT) for all samples (the
            paper's choice with few references) instead of one per sample.
        missing: samples without IN (or OUT) references: ``"raise"`` or
            ``"global"`` (the pooled statistics of that kind; see ``_masked_stats``).

    Returns:
        ``(n,)`` ``log N(t; mu_in, s_in) - log N(t; mu_out, s_out)``.
    """
    is_in = np.asarray(is_in, dtype=bool)
    mu_in, s_in = _masked_stats(refs, is_in, global_variance, missing)
    mu_out, s_out = _masked_stats(refs, ~is_in, global_variance, missing)
    t = np.asarray(target, dtype=np.float64)
    norm = _norm()
    return norm.logpdf(t, mu_in, s_in) - norm.logpdf(t, mu_out, s_out)


def lira_offline(
    target: np.ndarray,
    refs: np.ndarray,
    is_in: np.ndarray,
    *,
    global_variance: bool = False,
    missing: str = "raise",
) -> np.ndarray:
    """Offline LiRA: a one-sided test against the OUT Gaussian only,
    ``log Pr[Z < t]`` for ``Z ~ N(mu_out, s_out)`` (higher: the target's statistic
    is unusually high for a model that did not train on the sample).

    Shapes as :func:`lira_online`; only the OUT references (``~is_in``) are used.
    """
    mu_out, s_out = _masked_stats(refs, ~np.asarray(is_in, dtype=bool), global_variance, missing)
    return _norm().logcdf(np.asarray(target, dtype=np.float64), mu_out, s_out)


def _median_stats(values: np.ndarray, mask: np.ndarray, missing: str):
    """As :func:`_masked_stats` but the per-sample *median* of the references of
    this kind and their population std (ddof 0), as the LiRA authors' code
    (``research/mi_lira_2021/plot.py``, ``np.median`` / ``np.std`` over axis 1);
    also the std of *all* values of this kind, the code's "fixed variance". Samples
    without a reference of this kind: ``missing`` as in ``_masked_stats``.
    Returns median ``(n,)``, std ``(n,)``, global std (scalar)."""
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(mask, dtype=bool)
    none = w.sum(axis=0) == 0
    if none.any() and (missing != "global" or not w.any()):
        raise ValueError(f"{int(none.sum())} samples have no reference of this kind")
    masked = np.where(w, v, np.nan)
    with warnings.catch_warnings():  # all-NaN columns: the samples of ``none``
        warnings.simplefilter("ignore", RuntimeWarning)
        med, std = np.nanmedian(masked, axis=0), np.nanstd(masked, axis=0)
    everything = v[w]
    med = np.where(none, np.median(everything), med)
    std = np.where(none, everything.std(), std)
    return med, std, float(everything.std())


def lira_official(
    target: np.ndarray,
    refs: np.ndarray,
    is_in: np.ndarray,
    *,
    online: bool,
    fix_variance: bool = False,
    missing: str = "raise",
) -> np.ndarray:
    """LiRA as its authors' code computes it (``generate_ours`` and
    ``generate_ours_offline`` in tensorflow/privacy ``research/mi_lira_2021/plot.py``,
    one query, no augmentations): the *median* of the IN / OUT statistics, their
    population std (plus 1e-30) or, with ``fix_variance``, one std for all samples
    (online: the std of all IN values for both kinds, as the code does; offline:
    of all OUT values); online the log-density ratio
    ``log N(t; med_in, s_in) - log N(t; med_out, s_out)``; offline the
    *two-sided* ``-log N(t; med_out, s_out)`` (a statistic far from the OUT fit on
    either side counts as a member), where :func:`lira_offline` is the paper's
    one-sided test. Shapes as :func:`lira_online`; ``missing`` as there.
    Returns ``(n,)``, higher = member."""
    t = np.asarray(target, dtype=np.float64)
    is_in = np.asarray(is_in, dtype=bool)
    med_out, s_out, all_out = _median_stats(refs, ~is_in, missing)
    norm = _norm()
    if not online:
        s = np.full_like(t, all_out) if fix_variance else s_out
        return -norm.logpdf(t, med_out, s + 1e-30)
    med_in, s_in, all_in = _median_stats(refs, is_in, missing)
    if fix_variance:
        s_in = s_out = np.full_like(t, all_in)
    return norm.logpdf(t, med_in, s_in + 1e-30) - norm.logpdf(t, med_out, s_out + 1e-30)


def rmia_marginal(
    ref_probs: np.ndarray,
    is_in: np.ndarray | None,
    *,
    a: float,
    offline: bool | None = None,
    missing: str = "raise",
) -> np.ndarray:
    """RMIA's ``Pr(x)``: the mean probability of the true label over references.

    Online (the references include IN models of the samples): the mean over all
    references. Offline: the mean over the OUT references, with the paper's linear
    correction for the missing IN models, ``((1 + a) * mean_out + (1 - a)) / 2``.

    Args:
        ref_probs: ``(m, n)`` probability of the true label under each reference.
        is_in: ``(m, n)`` bool membership of the references, or None (all OUT).
        a: the offline interpolation parameter in [0, 1] (RMIA's ``a``); ignored
            online.
        offline: default: offline iff ``is_in`` is None. Offline with ``is_in``
            uses the OUT references of each sample only (``missing`` as in
            :func:`lira_online`).
    """
    p = np.asarray(ref_probs, dtype=np.float64)
    if offline is None:
        offline = is_in is None
    if not offline:
        return p.mean(axis=0)
    out = np.ones_like(p, dtype=bool) if is_in is None else ~np.asarray(is_in, dtype=bool)
    return ((1.0 + a) * masked_mean(p, out, missing=missing) + (1.0 - a)) / 2.0


def rmia(
    target_x: np.ndarray,
    marginal_x: np.ndarray,
    target_z: np.ndarray,
    marginal_z: np.ndarray,
    *,
    gamma: float = 1.0,
) -> np.ndarray:
    """RMIA's score: the share of population samples ``z`` that ``x`` dominates,
    ``Pr_z[ (p(x|theta) / Pr(x)) / (p(z|theta) / Pr(z)) >= gamma ]``.

    Args:
        target_x: ``(n,)`` target probability of the true label of each sample.
        marginal_x: ``(n,)`` its ``Pr(x)`` (:func:`rmia_marginal`).
        target_z, marginal_z: ``(k,)`` the same for the population samples.
        gamma: the likelihood-ratio threshold (RMIA's gamma; 1 by default).

    Returns:
        ``(n,)`` scores in [0, 1].
    """
    ratio_x = np.asarray(target_x, dtype=np.float64) / np.asarray(marginal_x, dtype=np.float64)
    ratio_z = np.asarray(target_z, dtype=np.float64) / np.asarray(marginal_z, dtype=np.float64)
    # ratio_x / ratio_z >= gamma  <=>  ratio_z <= ratio_x / gamma: count by sorting.
    sorted_z = np.sort(ratio_z)
    return np.searchsorted(sorted_z, ratio_x / gamma, side="right") / len(sorted_z)
