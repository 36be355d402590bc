"""Bootstrap intervals of table cells, in two steps: each split's replicate values
(:func:`split_replicates`, written by the ``attack`` job of its part next to its
metrics, ``bootstrap.parquet``) and, over the splits of a table row, the
percentile interval of the replicate means (:func:`percentile_intervals`, in the
``tables`` job). The resampling itself is :mod:`diffcal.stats.intervals`.

The split of the work is what keeps a report fast: the ``tables`` job of the
ablations resampled 58 splits (11 s of its 14 s); each split's replicates now come
with the attack job that already holds its scores, reran only when they change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.core.seeds import derive_seed
from diffcal.stats.intervals import (
    N_BOOT,
    Resamples,
    resampled_accuracies,
    resampled_accuracy,
    resampled_auc,
)

#: Columns of bootstrap.parquet: one row per split, cell and resample, cells in
#: table order, each cell's ``B`` resamples consecutive. ``attack`` is "" for the
#: target's ``train_acc`` / ``test_acc`` (Table 1).
REPLICATE_COLUMNS = ["split", "metric", "attack", "resample", "value"]


def cell_values(
    r: Resamples, cells: Mapping[Any, Callable[[Resamples], Any]], map_fn: Callable = map
) -> dict[Any, np.ndarray]:
    """The cells of one split evaluated on its resamples ``r``: ``{cell: (B,)}``, in
    the order of ``cells`` (a function returning ``{cell: (B,)}`` adds its cells in
    its own order). ``map_fn``: ``map`` or a thread pool's ``map``."""
    out: dict[Any, np.ndarray] = {}
    values = map_fn(lambda fn: fn(r), cells.values())
    for name, v in zip(cells, values, strict=True):
        for cell, value in v.items() if isinstance(v, Mapping) else [(name, v)]:
            out[cell] = value
    return out


def percentile_intervals(
    totals: Mapping[Any, np.ndarray], n_splits: int, level: float = 0.95
) -> dict[Any, tuple[float, float]]:
    """``{cell: (low, high)}``: the percentile ``level`` interval of each cell's
    replicate means ``totals[cell] / n_splits`` (``totals``: ``{cell: (B,)}``, the
    splits' values summed in split order)."""
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    out = {}
    for name, total in totals.items():
        low, high = np.percentile(total / n_splits, q)
        out[name] = (float(low), float(high))
    return out


def bootstrap_means(
    splits: Sequence[tuple[np.ndarray, Mapping[Any, Callable[[Resamples], Any]]]],
    *,
    seeds: Sequence[int],
    n_boot: int = N_BOOT,
    level: float = 0.95,
    threads: int = 1,
) -> dict[Any, tuple[float, float]]:
    """Percentile ``level`` interval of the mean over splits, resampling within splits.

    ``splits``: per split, ``(is_member (n,) bool, {cell: Resamples -> values
    (B,)})``; a function may instead return ``{cell: (B,)}`` for several cells
    computed together (its own key then names nothing). Every split must yield the
    same cells. ``seeds``: one per split. The same resamples of a split
    (:class:`Resamples`) serve all its cells, evaluated by ``threads`` threads
    (numpy releases the GIL in the heavy loops), while the next split's resamples
    are drawn; values are summed in split and cell order whatever the threads, so
    the result does not depend on them. Returns cell -> (low, high).
    """
    if len(seeds) != len(splits):
        raise ValueError(f"{len(splits)} splits but {len(seeds)} seeds")
    from concurrent.futures import ThreadPoolExecutor

    def draw(t: int) -> Resamples:
        return Resamples(splits[t][0], n_boot, np.random.default_rng(seeds[t]))

    totals: dict[Any, np.ndarray] = {}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        upcoming = pool.submit(draw, 0) if splits else None
        for t, (_, cells) in enumerate(splits):
            r = upcoming.result()
            upcoming = pool.submit(draw, t + 1) if t + 1 < len(splits) else None
            for cell, value in cell_values(r, cells, pool.map).items():
                totals[cell] = totals.get(cell, 0.0) + value
            del r
    return percentile_intervals(totals, len(splits), level)


def _accuracy_cells(names: list, correct: np.ndarray, masks: np.ndarray, r: Resamples) -> dict:
    """``{name: (B,)}``: :func:`resampled_accuracies` of the named cells."""
    return dict(zip(names, resampled_accuracies(r, correct, masks), strict=True))


def table_cells(
    target_y: np.ndarray,
    target_ok: np.ndarray,
    eval_y: np.ndarray,
    eval_scores: Mapping[str, np.ndarray],
    taus: Mapping[str, float],
) -> list[tuple[np.ndarray, dict]]:
    """The resampled cells of one split of a table row, as ``(is_member, {cell:
    Resamples -> (B,)})`` for :func:`cell_values`: Table 1's ``("train_acc", "")``
    and ``("test_acc", "")`` over the target's members / non-members
    (``target_y``, ``target_ok``: ``(n_t,)`` bool, is a member / is classified
    correctly), then per attack ``("auc", a)`` and ``("acc", a)`` (member iff score
    ``> taus[a]``, the split's threshold) over the eval set (``eval_y``: ``(n,)``
    bool; ``eval_scores[a]``: ``(n,)``, NaN where a label-only attack did not run:
    those cells use the attacked samples only). One entry when both sets are the
    same samples (one draw serves all cells), else two, the target's first."""
    ty, ok = np.asarray(target_y, dtype=bool), np.asarray(target_ok, dtype=bool)
    acc: dict = {
        ("train_acc", ""): lambda r: resampled_accuracy(r, ok, ty),
        ("test_acc", ""): lambda r: resampled_accuracy(r, ok, ~ty),
    }
    y = np.asarray(eval_y, dtype=bool)
    att: dict = {}
    correct, masks = [], []
    for a, score in eval_scores.items():
        s = np.asarray(score, dtype=np.float64)
        m = np.isfinite(s)
        mask = None if m.all() else m
        correct.append((s > float(taus[a])) == y)
        masks.append(m)
        att[("auc", a)] = lambda r, s=s, mask=mask: resampled_auc(r, s, mask)
    if eval_scores:  # the accuracy cells of all attacks in one pass
        att["acc"] = functools.partial(
            _accuracy_cells,
            [("acc", a) for a in eval_scores],
            np.stack(correct, axis=1),
            np.stack(masks, axis=1),
        )
    if np.array_equal(ty, y):
        return [(y, {**acc, **att})]
    return [(ty, acc), (y, att)]


def replicate_seed(dataset: str, variant: str, split: int) -> int:
    """The seed of a split's resamples (the same for every cell of the split)."""
    return derive_seed(0, "bootstrap", dataset, variant, int(split))


def cell_replicates(
    cells: Sequence[tuple[np.ndarray, dict]], *, split: int, seed: int, n_boot: int = N_BOOT
) -> pd.DataFrame:
    """The ``n_boot`` replicate values of every cell of one split (``cells``:
    :func:`table_cells`; each entry's resamples drawn from ``seed``), as rows of
    :data:`REPLICATE_COLUMNS`."""
    values: dict = {}
    for y, group in cells:
        values.update(cell_values(Resamples(y, n_boot, np.random.default_rng(seed)), group))
    return replicate_frame(values, split=split, n_boot=n_boot)


def replicate_frame(values: Mapping[Any, np.ndarray], *, split: int, n_boot: int) -> pd.DataFrame:
    """``{(metric, attack): (B,)}`` of one split as rows of :data:`REPLICATE_COLUMNS`."""
    k = len(values)
    return pd.DataFrame(
        {
            "split": np.full(k * n_boot, split, dtype=np.int16),
            "metric": pd.array(np.repeat([m for m, _ in values], n_boot), dtype="string"),
            "attack": pd.array(np.repeat([a for _, a in values], n_boot), dtype="string"),
            "resample": np.tile(np.arange(n_boot, dtype=np.int16), k),
            "value": np.concatenate(list(values.values())) if k else np.empty(0),
        },
        columns=REPLICATE_COLUMNS,
    )


def large_table_values(
    arrays: tuple, *, seed: int, n_boot: int = N_BOOT
) -> dict[tuple[str, str], np.ndarray]:
    """The cells of :func:`table_cells` (same ``arrays``, same order) for a split
    too large for resample counts (:data:`diffcal.stats.large_sample.LARGE_N`):
    accuracies by multinomial draws of the resamples' counts
    (:func:`diffcal.stats.large_sample.accuracy_replicates`), AUCs by DeLong's
    normal (:func:`diffcal.stats.large_sample.auc_replicates`, each attack on the
    samples it scored)."""
    from diffcal.stats.large_sample import accuracy_replicates, auc_replicates

    ty, ok, y, scores, taus = arrays
    ty, ok, y = (np.asarray(a, dtype=bool) for a in (ty, ok, y))
    rng = np.random.default_rng(seed)
    values = {
        ("train_acc", ""): accuracy_replicates(ty, ok, n_boot, rng, mask=ty),
        ("test_acc", ""): accuracy_replicates(ty, ok, n_boot, rng, mask=~ty),
    }
    auc, acc = {}, {}
    for a, score in scores.items():
        s = np.asarray(score, dtype=np.float64)
        m = np.isfinite(s)
        auc[("auc", a)] = auc_replicates(y[m], {a: s[m]}, n_boot, rng)[a]
        acc[("acc", a)] = accuracy_replicates(y, (s > float(taus[a])) == y, n_boot, rng, mask=m)
    return {**values, **auc, **acc}


def split_cells(
    scores: pd.DataFrame, roles: pd.DataFrame, att: pd.DataFrame, met: pd.DataFrame
) -> list[tuple[np.ndarray, dict]]:
    """:func:`table_cells` of one split from its frames (:func:`split_arrays`)."""
    return table_cells(*split_arrays(scores, roles, att, met))


def split_arrays(
    scores: pd.DataFrame, roles: pd.DataFrame, att: pd.DataFrame, met: pd.DataFrame
) -> tuple:
    """:func:`table_cells`' arguments from one split's frames: ``scores`` (its rows
    of scores.parquet: model, sample_id, correct), ``roles`` (sample_id, role),
    ``att`` / ``met`` (its attack scores and metrics,
    :func:`diffcal.attacks.evaluate.attack_split`): the target's accuracy on its
    members and non-members, each attack's AUC and accuracy on the eval set."""
    tgt = scores.loc[scores["model"] == "target", ["sample_id", "correct"]]
    tgt = tgt.merge(roles, on="sample_id")
    tgt = tgt[tgt["role"].isin(["member", "nonmember"])]
    ev = att[att["set"] == "eval"]
    return (
        (tgt["role"] == "member").to_numpy(),
        tgt["correct"].to_numpy(dtype=bool),
        ev["is_member"].to_numpy(dtype=bool),
        {a: ev[a].to_numpy(dtype=np.float64) for a in met["attack"]},
        dict(zip(met["attack"], met["tau"], strict=True)),
    )


def split_replicates(
    scores: pd.DataFrame,
    roles: pd.DataFrame,
    att: pd.DataFrame,
    met: pd.DataFrame,
    *,
    split: int,
    seed: int,
) -> pd.DataFrame:
    """:func:`cell_replicates` of :func:`split_cells` (the attack job's call); for a
    split of more than :data:`diffcal.stats.large_sample.LARGE_N` samples,
    :func:`large_table_values` (the same cells, other draws)."""
    from diffcal.stats.large_sample import LARGE_N

    arrays = split_arrays(scores, roles, att, met)
    if max(len(arrays[0]), len(arrays[2])) > LARGE_N:
        values = large_table_values(arrays, seed=seed)
        return replicate_frame(values, split=split, n_boot=N_BOOT)
    return cell_replicates(table_cells(*arrays), split=split, seed=seed)


def replicate_values(rows: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """Inverse of :func:`cell_replicates` for one split's rows: ``{(metric,
    attack): (B,)}`` in the file's cell order."""
    first = np.flatnonzero(rows["resample"].to_numpy() == 0)  # each cell's first row
    if not len(first):
        return {}
    cells = zip(rows["metric"].iloc[first], rows["attack"].iloc[first], strict=True)
    values = rows["value"].to_numpy(dtype=np.float64).reshape(len(first), -1)
    return dict(zip(cells, values, strict=True))


def row_intervals(
    splits: Sequence[pd.DataFrame], level: float = 0.95
) -> dict[tuple[str, str], tuple[float, float]]:
    """The intervals of a table row's cells from its splits' replicate rows (in
    split order; every split with the same cells): the values summed in split
    order, then :func:`percentile_intervals`."""
    totals: dict = {}
    for t, rows in enumerate(splits):
        values = replicate_values(rows)
        if t and list(values) != list(totals):
            raise ValueError(
                f"split {t} of a row has the cells {list(values)}, the first "
                f"split {list(totals)}: rerun its attack job"
            )
        for cell, value in values.items():
            totals[cell] = totals.get(cell, 0.0) + value
    return percentile_intervals(totals, len(splits), level)
