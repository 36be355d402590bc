"""Three-valued verdicts on a claim from the interval of its effect.

A claim is turned into one or more *effects*, each oriented so that a positive
value is what the claim says (``Cal - Orig`` AUC for "calibration raises the
AUC", ``0.01 - (acc - acc at tau 0)`` for "at most 0.01 lower"). An effect's 95 %
interval decides its verdict:

- ``holds``: the interval lies above zero (the claimed direction);
- ``contradicted``: it lies below zero;
- ``inconclusive``: it contains zero.

Intervals: Student-t over per-split values (:func:`paired_effect`; paired: both
cells of a difference come from the same split's models) or, where only the mean,
std and number of splits of each cell are known, Welch's interval
(:func:`welch_effect`; unpaired, so wider than a paired interval on cells of the
same models). With one value (a paper's published mean) there is no interval:
the effect is the point and the verdict compares it with zero
(:attr:`Effect.point`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diffcal.stats.intervals import t_quantile

HOLDS, CONTRADICTED, INCONCLUSIVE = "holds", "contradicted", "inconclusive"
VERDICTS = (HOLDS, CONTRADICTED, INCONCLUSIVE)
LEVEL = 0.95


@dataclass(frozen=True)
class Effect:
    """An effect's mean and ``level`` interval [``low``, ``high``] from ``n`` values."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def point(self) -> bool:
        """True for a single value (no interval)."""
        return self.n < 2

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return HOLDS
        if self.high < 0:
            return CONTRADICTED
        return INCONCLUSIVE

    def shifted(self, by: float) -> Effect:
        """The effect of ``x + by`` (a claim with a bar: ``diff - 0.10``)."""
        return Effect(self.mean + by, self.low + by, self.high + by, self.n)

    def text(self, digits: int = 3) -> str:
        """``+0.012 [-0.003, +0.027]`` (the point alone without an interval)."""
        f = f"{{:+.{digits}f}}"
        if self.point:
            return f.format(self.mean)
        return f"{f.format(self.mean)} [{f.format(self.low)}, {f.format(self.high)}]"


def paired_effect(values: Sequence[float] | np.ndarray, level: float = LEVEL) -> Effect:
    """Mean and Student-t interval of per-split effects.

    ``values``: (T,) one effect per split (e.g. ``auc[cal] - auc[orig]`` of split t).
    T = 1 gives the point (``low == high == mean``). NaN values are an error: a
    cell missing in one split makes the pairing meaningless."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) == 0:
        raise ValueError(f"need a 1-d array of per-split effects, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("per-split effects hold NaN or infinite values")
    m = float(v.mean())
    if len(v) < 2:
        return Effect(m, m, m, len(v))
    half = float(t_quantile(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return Effect(m, m - half, m + half, len(v))


def welch_effect(
    mean_a: float,
    std_a: float,
    n_a: int,
    mean_b: float = 0.0,
    std_b: float = 0.0,
    n_b: int = 0,
    level: float = LEVEL,
) -> Effect:
    """Interval of ``mean_a - mean_b`` from each cell's mean, sample std and number
    of splits (Welch-Satterthwaite degrees of freedom). ``n_b = 0``: a one-sample
    interval of ``mean_a`` against the constant ``mean_b``. A cell with one split
    (or no spread at all) has no interval: the point."""
    diff = float(mean_a - mean_b)
    va = std_a**2 / n_a if n_a >= 2 else np.nan
    vb = (std_b**2 / n_b if n_b >= 2 else np.nan) if n_b else 0.0
    se2 = va + vb
    if not np.isfinite(se2) or se2 <= 0:
        return Effect(diff, diff, diff, 1)
    terms = [va**2 / (n_a - 1)] + ([vb**2 / (n_b - 1)] if n_b else [])
    df = se2**2 / sum(terms)
    half = float(t_quantile(0.5 + level / 2, df) * np.sqrt(se2))
    return Effect(diff, diff - half, diff + half, min(n_a, n_b) if n_b else n_a)


def combine(verdicts: Sequence[str], rule: str = "all") -> str:
    """One verdict from the verdicts of a claim's effects.

    ``all`` (the claim is made for every effect): holds if every effect holds,
    contradicted if any is contradicted. ``most`` (in more than half of the
    cases): holds if more than half hold, contradicted if at least half are
    contradicted. ``any`` (it can happen): holds if one holds, contradicted if
    every one is contradicted. Otherwise inconclusive."""
    if not verdicts:
        raise ValueError("no effects to combine")
    if rule not in ("all", "most", "any"):
        raise ValueError(f"unknown rule {rule!r}; allowed: all, most, any")
    n, h, c = len(verdicts), verdicts.count(HOLDS), verdicts.count(CONTRADICTED)
    if rule == "all":
        return HOLDS if h == n else CONTRADICTED if c else INCONCLUSIVE
    if rule == "most":
        return HOLDS if 2 * h > n else CONTRADICTED if 2 * c >= n else INCONCLUSIVE
    return HOLDS if h else CONTRADICTED if c == n else INCONCLUSIVE


def band_effect(e: Effect, centre: float, half_width: float) -> str:
    """Verdict on "x lies within ``half_width`` of ``centre``" from x's interval:
    holds if the interval lies inside the band, contradicted if it lies wholly
    outside it, inconclusive otherwise."""
    lo, hi = centre - half_width, centre + half_width
    if lo < e.low and e.high < hi:
        return HOLDS
    if e.high < lo or e.low > hi:
        return CONTRADICTED
    return INCONCLUSIVE
