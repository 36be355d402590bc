"""HopSkipJump (diffcal.attacks.hsj) against closed forms and against ART's implementation."""

from __future__ import annotations

import pandas as pd

D = 20


def test_label_only_job_gives_the_same_rows_on_one_or_two_workers(tiny_run, tmp_path):
    """The job attacks its models side by side in worker processes (one
    torch thread each): the rows are the same bytes whatever the number of workers."""
    from diffcal.stages.label_only import run_label_only

    part = tiny_run / "results/breast_cancer/plain/split0-1"
    names = ("target", "shadow", "scratch", "forget_target", "forget_shadow")
    # target and shadow: one file each; the reference sets: their chunk files
    models = {
        n: [str(p) for p in sorted(part.glob(f"models/{n}*.pt"), key=_chunk_order)] for n in names
    }
    models = {n: f[0] if n in ("target", "shadow") else f for n, f in models.items()}
    assert all(models.values())
    cfg = {"points": 6, "max_iter": 2, "max_eval": 40, "init_eval": 10, "init_size": 20}
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"lo{threads}.parquet"
        run_label_only(
            data=str(tiny_run / "results/breast_cancer/data.npz"),
            split=str(part / "split.parquet"),
            models=models,
            out=str(out),
            cfg=cfg,
            seeds={"root_seed": 1, "key": "breast_cancer"},
            threads=threads,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    rows = pd.read_parquet(tmp_path / "lo2.parquet")
    assert set(rows["model"]) == set(models) and set(rows["split"]) == {0, 1}
    assert (rows["distance"] >= 0).all()


def _chunk_order(path):
    """A chunk file's place: its first model index (``scratch10-19.pt`` after
    ``scratch2-9.pt``); files without one (``target.pt``) first."""
    digits = path.stem.lstrip("abcdefghijklmnopqrstuvwxyz_").split("-")[0]
    return int(digits) if digits else -1
