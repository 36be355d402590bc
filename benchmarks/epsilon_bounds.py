"""Power of our epsilon lower bounds against jax_privacy's on the same scores.

Four score families with a known epsilon at delta 1e-5 (3,000 members and 3,000
non-members a draw): randomized response at epsilon 1 and 2 (the score is the
released bit), and Gaussian scores (members ~ N(mu, 1), non-members ~ N(0, 1):
mu-GDP, epsilon 4.38 at mu = 1 and 10.0 at mu = 2). Every draw is bounded by

- ours: :func:`diffcal.stats.bound_strategies.epsilon_bound` with each strategy
  (bonferroni, split, multi_split), and the strategy we shipped before (the 5
  thresholds with the best point estimate on one half, counted on the other);
- jax_privacy's ``CanaryScoreAuditor.epsilon_clopper_pearson`` (alpha 0.05), with
  ``Bonferroni()`` one-sided (its default), two-sided, and ``Split(0.5)``.

Prints the mean bound per (case, method) and the ratios of ours to jax_privacy's
Bonferroni, measured in the same run. jax_privacy is the oracle, never a dependency
of diffcal: run this with an interpreter that has both (numpy and scipy suffice for
diffcal.attacks)::

    python3.11 -m venv /tmp/oracle && /tmp/oracle/bin/pip install jax-privacy==2.0.0 scipy
    PYTHONPATH=src /tmp/oracle/bin/python benchmarks/epsilon_bounds.py [--draws 20] \
        [--out docs/auditing/epsilon_bounds_power.csv]

With ``--out`` it also writes the means as a CSV (case, true epsilon, method, mean,
the two ratios), which docs/auditing.md quotes with value markers.
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np

from diffcal.stats import privacy
from diffcal.stats.bound_strategies import BoundStrategy, epsilon_bound

DELTA = 1e-5
N = 3000  # samples a class


def randomized_response(eps: float, rng: np.random.Generator):
    """(2N,) scores and membership: each sample releases its membership bit with
    probability e^eps / (1 + e^eps) (an eps-DP mechanism); the score is the bit."""
    member = np.repeat([True, False], N)
    keep = rng.random(2 * N) < np.exp(eps) / (1 + np.exp(eps))
    return np.where(keep, member, ~member).astype(float), member


def gaussian(mu: float, rng: np.random.Generator):
    """(2N,) scores N(mu, 1) for members, N(0, 1) for non-members, and membership."""
    member = np.repeat([True, False], N)
    return member * mu + rng.normal(size=2 * N), member


RATIO_COLUMNS = ("per_jax_bonferroni", "per_jax_two_sided")

#: case -> (draw function, parameter, true epsilon at DELTA)
CASES = {
    "randomized response, eps 1": (randomized_response, 1.0, 1.0),
    "randomized response, eps 2": (randomized_response, 2.0, 2.0),
    "Gaussian mu 1 (eps 4.38)": (gaussian, 1.0, privacy.gdp_epsilon(1.0, DELTA)),
    "Gaussian mu 2 (eps 10.0)": (gaussian, 2.0, privacy.gdp_epsilon(2.0, DELTA)),
}


def draw(case: str, i: int):
    """The i-th seeded draw of a case (tests/unit/stats/test_bound_strategies.py draws the same)."""
    fn, param, _ = CASES[case]
    return fn(param, np.random.default_rng([list(CASES).index(case), i]))


def previous_bound(s: np.ndarray, y: np.ndarray, seed: int) -> float:
    """The bound we shipped before: the 5 thresholds with the largest point estimate
    (half an error counted for a zero) on a seeded half, counted on the other half."""
    sel = np.zeros(len(s), bool)
    sel[np.random.default_rng(seed).permutation(len(s))[: len(s) // 2]] = True
    cand = np.unique(s[sel])
    fp = (~y[sel]).sum() - np.searchsorted(np.sort(s[sel][~y[sel]]), cand)
    fn = np.searchsorted(np.sort(s[sel][y[sel]]), cand)
    n_out, n_in = (~y[sel]).sum(), y[sel].sum()
    point = privacy.epsilon_from_rates(
        np.maximum(fp / n_out, 0.5 / n_out), np.maximum(fn / n_in, 0.5 / n_in), DELTA
    )
    thr = cand[np.argsort(-point, kind="stable")[:5]]
    return privacy.epsilon_lower_bound(s[~sel], y[~sel], thr, delta=DELTA).epsilon


def ours(s, y, i) -> dict[str, float]:
    return {
        "diffcal bonferroni": epsilon_bound(s, y, delta=DELTA).epsilon,
        "diffcal split": epsilon_bound(
            s, y, delta=DELTA, strategy=BoundStrategy("split"), seed=i
        ).epsilon,
        "diffcal multi_split": epsilon_bound(
            s, y, delta=DELTA, strategy=BoundStrategy("multi_split"), seed=i
        ).epsilon,
        "diffcal before (point-estimate split, k 5)": previous_bound(s, y, i),
    }


def theirs(s, y, i) -> dict[str, float]:
    from jax_privacy import auditing

    aud = auditing.CanaryScoreAuditor(s[y], s[~y])
    return {
        "jax_privacy Bonferroni": aud.epsilon_clopper_pearson(0.05, DELTA),
        "jax_privacy Bonferroni two-sided": aud.epsilon_clopper_pearson(
            0.05, DELTA, one_sided=False
        ),
        "jax_privacy Split(0.5)": aud.epsilon_clopper_pearson(
            0.05, DELTA, threshold_strategy=auditing.Split(0.5, seed=i)
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--out", default=None, help="CSV of the means (for the docs)")
    args = ap.parse_args()
    table = []
    for case, (_, _, true_eps) in CASES.items():
        rows: dict[str, list[float]] = {}
        t0 = time.perf_counter()
        for i in range(args.draws):
            s, y = draw(case, i)
            for name, v in {**ours(s, y, i), **theirs(s, y, i)}.items():
                rows.setdefault(name, []).append(v)
        ref = np.mean(rows["jax_privacy Bonferroni"])
        ref2 = np.mean(rows["jax_privacy Bonferroni two-sided"])
        print(
            f"\n{case}: true epsilon {true_eps:.2f}, {args.draws} draws, "
            f"{time.perf_counter() - t0:.1f} s"
        )
        print(f"  {'method':44s} {'mean':>7s} {'/ jax Bonf.':>12s} {'/ jax 2-sided':>14s}")
        for name, vals in rows.items():
            m = np.mean(vals)
            print(f"  {name:44s} {m:7.3f} {m / ref:12.3f} {m / ref2:14.3f}")
            table.append(
                [case, f"{true_eps:.4f}", name, f"{m:.6f}", f"{m / ref:.4f}", f"{m / ref2:.4f}"]
            )
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["case", "true_epsilon", "method", "mean", *RATIO_COLUMNS])
            w.writerows(table)


if __name__ == "__main__":
    main()
