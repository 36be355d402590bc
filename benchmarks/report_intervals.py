"""Bootstrap intervals of the tables job: integer resample counts against the dense
float64 weights they replaced (goal 1).

The workload is the tables job's bootstrap for one Adult row of config/paper.yaml:
5 splits of 24,421 evaluated samples (half members), 10 attack columns (AUC and
accuracy cells) plus the target's train / test accuracy, 1,000 resamples per split.
Scores are synthetic (a member shift, rounded so that some values tie); the cells
are computed twice in this run:

- baseline: the previous code path, dense ``(B, n)`` float64 weights
  (``resample_weights``) and ``weighted_auc`` / ``weighted_accuracy`` per cell;
- now: :func:`diffcal.stats.bootstrap.bootstrap_means` on :class:`Resamples`
  (``resampled_auc`` per AUC cell, ``resampled_accuracies`` for a split's accuracy
  cells at once), with ``--threads`` threads.

Both must give the same intervals bit for bit (checked); the ratio is printed last.

    python benchmarks/report_intervals.py [--n 24421] [--splits 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from diffcal.stats import intervals as iv
from diffcal.stats.bootstrap import bootstrap_means

N_ATTACKS = 10


def workload(n: int, splits: int) -> list[tuple[np.ndarray, list[np.ndarray], np.ndarray]]:
    """Per split: is_member ``(n,)``, 10 score columns ``(n,)``, target correct ``(n,)``."""
    out = []
    for t in range(splits):
        rng = np.random.default_rng(t)
        y = rng.random(n) < 0.5
        scores = [np.round(rng.normal(size=n) + 0.1 * (a + 1) * y, 3) for a in range(N_ATTACKS)]
        out.append((y, scores, rng.random(n) < 0.8))
    return out


def dense_baseline(data, n_boot: int) -> dict[str, tuple[float, float]]:
    """The previous computation: one dense float64 weight matrix per split."""
    totals: dict[str, np.ndarray] = {}
    for t, (y, scores, ok) in enumerate(data):
        w = iv.resample_weights(y, n_boot, np.random.default_rng(t))
        okf = ok.astype(np.float64)
        cells = {
            "train_acc": (w @ (okf * y)) / (w @ y.astype(float)),
            "test_acc": (w @ (okf * ~y)) / (w @ (~y).astype(float)),
        }
        for a, s in enumerate(scores):
            cells[f"auc{a}"] = iv.weighted_auc(y, s, w)
            cells[f"acc{a}"] = iv.weighted_accuracy(y, s, 0.5, w)
        for k, v in cells.items():
            totals[k] = totals.get(k, 0.0) + v
    return {k: tuple(np.percentile(v / len(data), [2.5, 97.5])) for k, v in totals.items()}


def integer_counts(data, n_boot: int, threads: int) -> dict[str, tuple[float, float]]:
    splits = []
    for y, scores, ok in data:
        cells = {
            "train_acc": lambda r, y=y, ok=ok: iv.resampled_accuracy(r, ok, y),
            "test_acc": lambda r, y=y, ok=ok: iv.resampled_accuracy(r, ok, ~y),
        }
        for a, s in enumerate(scores):
            cells[f"auc{a}"] = lambda r, s=s: iv.resampled_auc(r, s)
        # the accuracy cells of a split in one pass, as the tables job does
        correct = np.stack([(s > 0.5) == y for s in scores], axis=1)
        cells["acc"] = lambda r, c=correct: dict(
            zip([f"acc{a}" for a in range(N_ATTACKS)], iv.resampled_accuracies(r, c), strict=True)
        )
        splits.append((y, cells))
    return bootstrap_means(splits, seeds=list(range(len(data))), n_boot=n_boot, threads=threads)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24421)
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--n-boot", type=int, default=iv.N_BOOT)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    data = workload(args.n, args.splits)
    t0 = time.perf_counter()
    base = dense_baseline(data, args.n_boot)
    t1 = time.perf_counter()
    now = integer_counts(data, args.n_boot, args.threads)
    t2 = time.perf_counter()
    same = all(base[k] == tuple(now[k]) for k in base) and base.keys() == set(now)
    print(
        f"{args.splits} splits x {args.n} samples, {2 * N_ATTACKS + 2} cells, "
        f"{args.n_boot} resamples"
    )
    print(f"baseline (dense float64 weights): {t1 - t0:7.2f} s")
    print(f"integer counts ({args.threads} thread(s)):  {t2 - t1:7.2f} s")
    print(f"intervals identical: {same}")
    print(f"speed-up: {(t1 - t0) / (t2 - t1):.1f}x")


if __name__ == "__main__":
    main()
