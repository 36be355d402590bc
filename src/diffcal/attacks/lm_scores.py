"""Membership scores of a causal language model's documents, from per-token values.

The scoring stage of a language model writes one row per (document, token
position): the token's log-probability under the model (``logp``) and the mean
and variance of the log-probability under the model's whole next-token
distribution at that position (``mu``, ``var``: what min-k %++ needs). Every
function here turns those long arrays into one score per document, **higher =
more likely a member** (the sign convention of every diffcal attack):

- ``loss``: the mean token log-probability (minus the loss; Yeom et al. 2018);
- ``zlib``: minus the loss over the zlib-compressed length of the text in bytes
  (Carlini et al. 2021: the text's own compressibility as its difficulty);
- ``min_k``: the mean of the ``k`` share of lowest token log-probabilities
  (Shi et al. 2024);
- ``min_k_pp``: the same over ``(logp - mu) / sqrt(var)`` (Zhang et al. 2024,
  min-k %++);
- calibrated by a reference model (paper eq. 5): the target's score minus the
  reference's on the same document, for ``loss``, ``min_k`` and ``min_k_pp``.

MIMIR (Duan et al. 2024), which benchmarks these attacks, returns them with the
opposite sign (lower = member) and keeps ``int(n * k)`` tokens, which is none for
a document shorter than ``1 / k`` tokens (its mean is then NaN); we keep at least
one. Written here because these are a few lines of numpy over our own Parquet
layout; no well-kept library takes per-token arrays.

Documents are ``doc`` ids ``0 .. n_docs - 1``; their tokens may come in any
order and every document needs at least one token.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np


def _counts(doc: np.ndarray, n_docs: int) -> np.ndarray:
    counts = np.bincount(doc, minlength=n_docs)
    if len(counts) > n_docs or np.any(counts == 0):
        empty = np.flatnonzero(counts[:n_docs] == 0)
        raise ValueError(
            f"per-token scores: documents without tokens ({empty[:5].tolist()}) "
            f"or ids beyond {n_docs - 1}"
        )
    return counts


def mean_by_doc(doc: np.ndarray, values: np.ndarray, n_docs: int) -> np.ndarray:
    """Mean of ``values`` per document. ``doc``, ``values``: ``(t,)`` -> ``(n_docs,)``."""
    doc = np.asarray(doc, dtype=np.int64)
    counts = _counts(doc, n_docs)
    return np.bincount(doc, weights=np.asarray(values, np.float64), minlength=n_docs) / counts


def loss_score(doc: np.ndarray, logp: np.ndarray, n_docs: int) -> np.ndarray:
    """Mean token log-probability per document (minus the loss): ``(t,)`` -> ``(n_docs,)``."""
    return mean_by_doc(doc, logp, n_docs)


def lowest_share_mean(doc: np.ndarray, values: np.ndarray, n_docs: int, k: float) -> np.ndarray:
    """Mean of each document's ``max(1, floor(k * n))`` lowest ``values`` (n: its token
    count). ``doc``, ``values``: ``(t,)`` -> ``(n_docs,)``; ``0 < k <= 1``."""
    if not 0 < k <= 1:
        raise ValueError(f"min-k: k must lie in (0, 1], got {k}")
    doc = np.asarray(doc, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    counts = _counts(doc, n_docs)
    order = np.lexsort((values, doc))  # by document, then value (lowest first)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(doc)) - starts[doc[order]]
    keep = np.maximum(1, np.floor(k * counts + 1e-9).astype(np.int64))
    take = order[rank < keep[doc[order]]]
    return np.bincount(doc[take], weights=values[take], minlength=n_docs) / keep


def min_k_score(doc: np.ndarray, logp: np.ndarray, n_docs: int, k: float) -> np.ndarray:
    """Min-k % prob: mean of the ``k`` share of lowest token log-probabilities."""
    return lowest_share_mean(doc, logp, n_docs, k)


def min_k_pp_score(
    doc: np.ndarray, logp: np.ndarray, mu: np.ndarray, var: np.ndarray, n_docs: int, k: float
) -> np.ndarray:
    """Min-k %++: min-k over ``(logp - mu) / sqrt(var)``; ``mu``, ``var``: ``(t,)``, the
    mean and variance of log p(v) for v drawn from the model's next-token distribution.
    A position whose distribution is a point mass (var 0) gives z = 0."""
    var = np.asarray(var, dtype=np.float64)
    z = np.divide(
        np.asarray(logp, np.float64) - np.asarray(mu, np.float64),
        np.sqrt(var),
        out=np.zeros(len(var)),
        where=var > 0,
    )
    return lowest_share_mean(doc, z, n_docs, k)


def zlib_bytes(texts: Sequence[str]) -> np.ndarray:
    """Length in bytes of each UTF-8 text after ``zlib.compress`` (default level):
    ``(n,)`` int64."""
    return np.array([len(zlib.compress(t.encode("utf-8"))) for t in texts], dtype=np.int64)


def zlib_score(loss: np.ndarray, compressed: np.ndarray) -> np.ndarray:
    """Carlini et al.'s zlib ratio with our sign: the mean log-probability (``loss``
    from :func:`loss_score`, ``(n,)``) over the compressed length (``(n,)``)."""
    return np.asarray(loss, np.float64) / np.asarray(compressed, np.float64)


def calibrated(target: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Paper eq. 5 with one reference: the target's score minus the reference's on
    the same documents, ``(n,)`` each -> ``(n,)``."""
    return np.asarray(target, np.float64) - np.asarray(reference, np.float64)
