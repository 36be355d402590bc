"""Power of our one-run audit bound against jax_privacy's on the same canaries.

5,000 canaries a draw (2,500 IN, 2,500 OUT), Gaussian scores (IN ~ N(mu, 1),
OUT ~ N(0, 1): mu-GDP, epsilon at delta 1e-5 of 2.22 at mu = 0.55 and 4.38 at
mu = 1). Every draw is bounded by

- ours: :func:`diffcal.stats.bound_strategies.one_run_bonferroni` (guesses by
  threshold at the ROC's upper-hull vertices, Bonferroni over them), pure DP and
  at delta 1e-5 (Steinke, Nasr, Jagielski 2023, Theorems 2 and 3);
- the same guesses in the f-DP form at delta 1e-5 (Mahloujifar et al. 2024;
  :mod:`diffcal.stats.one_run_fdp`);
- jax_privacy's ``CanaryScoreAuditor.epsilon_one_run(0.05, delta)`` (its default
  ``Bonferroni()``), at delta 1e-12 (it needs delta > 0; our pure form's peer)
  and 1e-5, and ``epsilon_one_run_fdp(0.05, 1e-5)``.

Prints the mean bound per (case, method) and ours / jax_privacy's, measured in the
same run. jax_privacy is the oracle, never a dependency of diffcal::

    python3.11 -m venv /tmp/oracle && /tmp/oracle/bin/pip install jax-privacy==2.0.0 scipy
    PYTHONPATH=src /tmp/oracle/bin/python benchmarks/one_run_bounds.py [--draws 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from diffcal.stats import privacy
from diffcal.stats.bound_strategies import one_run_bonferroni

DELTA = 1e-5
N = 2500  # canaries a side
#: case -> mu (the scores' mean gap)
CASES = {"Gaussian mu 0.55": 0.55, "Gaussian mu 1": 1.0}


def draw(case: str, i: int):
    """The i-th seeded draw of a case (tests/unit/stats/test_bound_strategies.py draws the same)."""
    rng = np.random.default_rng([100 + list(CASES).index(case), i])
    is_in = np.repeat([True, False], N)
    return is_in * CASES[case] + rng.normal(size=2 * N), is_in


def bounds(s: np.ndarray, y: np.ndarray, *, jax: bool = True) -> dict[str, float]:
    out = {
        "diffcal, pure DP": one_run_bonferroni(s, y)[0],
        "diffcal, delta 1e-5": one_run_bonferroni(s, y, delta=DELTA)[0],
        "diffcal, f-DP 1e-5": one_run_bonferroni(s, y, delta=DELTA, fdp=True)[0],
    }
    if jax:
        from jax_privacy import auditing

        aud = auditing.CanaryScoreAuditor(s[y], s[~y])
        out["jax_privacy, delta 1e-12"] = aud.epsilon_one_run(0.05, 1e-12)
        out["jax_privacy, delta 1e-5"] = aud.epsilon_one_run(0.05, DELTA)
        out["jax_privacy, f-DP 1e-5"] = aud.epsilon_one_run_fdp(0.05, DELTA)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=10)
    args = ap.parse_args()
    for case, mu in CASES.items():
        rows: dict[str, list[float]] = {}
        t0 = time.perf_counter()
        for i in range(args.draws):
            for name, v in bounds(*draw(case, i)).items():
                rows.setdefault(name, []).append(v)
        print(
            f"\n{case}: epsilon {privacy.gdp_epsilon(mu, DELTA):.2f} at delta {DELTA:g}, "
            f"{args.draws} draws, {time.perf_counter() - t0:.1f} s"
        )
        refs = {
            form: np.mean(rows[f"jax_privacy, {form}"])
            for form in ("delta 1e-12", "delta 1e-5", "f-DP 1e-5")
        }
        for name, vals in rows.items():
            form = name.split(", ", 1)[1]
            ref = refs["delta 1e-12" if form == "pure DP" else form]
            print(f"  {name:28s} {np.mean(vals):7.3f}  / jax_privacy's {np.mean(vals) / ref:6.3f}")


if __name__ == "__main__":
    main()
