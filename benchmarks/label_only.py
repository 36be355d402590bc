"""The label-only job on one worker (the previous behaviour: the models attacked one
after another, one torch thread) against ``--threads`` workers (goal 5).

Runs :func:`diffcal.stages.label_only.run_label_only` twice on the same finished
part (the Adult rows of config/paper.yaml after a pipeline run), at the paper
config's budget unless told otherwise, and checks that both write the same bytes.

    python benchmarks/label_only.py --run results/adult/plain/split0-4 \\
        --data results/adult/data.npz [--points 1000] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from diffcal.stages.label_only import run_label_only

NAMES = ("target", "shadow", "scratch", "forget_target", "forget_shadow")


def _chunk_order(path):
    """A chunk file's place: its first model index (``scratch10-19.pt`` after
    ``scratch2-9.pt``); files without one (``target.pt``) first."""
    digits = path.stem.lstrip("abcdefghijklmnopqrstuvwxyz_").split("-")[0]
    return int(digits) if digits else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a finished part: results/<ds>/<var>/split<p>")
    ap.add_argument("--data", required=True, help="its results/<ds>/data.npz")
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--max-iter", type=int, default=20)
    ap.add_argument("--max-eval", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--root-seed", type=int, default=20220425)
    ap.add_argument("--key", default="adult")
    args = ap.parse_args()
    part = Path(args.run)
    # one file for target and shadow, the chunk files of each reference set
    files = {
        n: [str(p) for p in sorted(part.glob(f"models/{n}*.pt"), key=_chunk_order)] for n in NAMES
    }
    models = {n: f[0] if n in ("target", "shadow") else f for n, f in files.items() if f}
    cfg = {
        "points": args.points,
        "max_iter": args.max_iter,
        "max_eval": args.max_eval,
        "init_eval": 100,
        "init_size": 100,
    }
    times, outs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for threads in (1, args.threads):
            out = Path(tmp, f"lo{threads}.parquet")
            start = time.perf_counter()
            run_label_only(
                data=args.data,
                split=str(part / "split.parquet"),
                models=models,
                out=str(out),
                cfg=cfg,
                threads=threads,
                seeds={"root_seed": args.root_seed, "key": args.key},
            )
            times[threads] = time.perf_counter() - start
            outs[threads] = out.read_bytes()
    print(
        f"{len(models)} model files, {args.points} points per set, budget "
        f"{args.max_iter} iterations / {args.max_eval} evaluations"
    )
    print(f"baseline (1 worker, as before): {times[1]:8.1f} s")
    print(f"{args.threads} workers:                  {times[args.threads]:8.1f} s")
    print(f"same bytes: {outs[1] == outs[args.threads]}")
    print(f"speed-up: {times[1] / times[args.threads]:.2f}x")


if __name__ == "__main__":
    main()
