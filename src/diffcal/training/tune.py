"""Recipe selection on public data: grids of training recipes and the rule that
picks one. Pure functions; the stages that train the candidates call them.

Paper section 4.1: "For calibration via forgetting, reference models were tuned
over a set of learning rates and batch sizes to ensure that their training and
test accuracies were similar to the target model". We match the *shadow* target
instead of the target (both are trained with the same recipe), so that tuning
reads public samples only and never the evaluation split.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def recipe_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Cartesian product of ``grid`` (key -> candidate values), in the given key
    and value order (the first key varies slowest; the workflow passes keys
    sorted, so the order does not depend on how the config was written). An
    empty grid gives ``[{}]``."""
    keys = list(grid)
    for k in keys:
        if len(grid[k]) == 0:
            raise ValueError(f"grid key {k!r} has no candidate values")
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def accuracy_distance(
    train_acc: np.ndarray, test_acc: np.ndarray, goal_train: float, goal_test: float
) -> np.ndarray:
    """L1 distance of each candidate's (train, test) accuracy to the goal pair.

    ``train_acc``, ``test_acc``: ``(c,)`` -> ``(c,)``.
    """
    train_acc = np.asarray(train_acc, dtype=np.float64)
    test_acc = np.asarray(test_acc, dtype=np.float64)
    return np.abs(train_acc - goal_train) + np.abs(test_acc - goal_test)


def pick_closest(
    train_acc: np.ndarray, test_acc: np.ndarray, goal_train: float, goal_test: float
) -> int:
    """Index of the candidate whose accuracies are closest to the goal
    (:func:`accuracy_distance`); ties go to the earliest candidate. Distances are
    rounded to 12 decimals first, so that ties of accuracies (ratios k/n) are not
    broken by floating-point error."""
    d = np.round(accuracy_distance(train_acc, test_acc, goal_train, goal_test), 12)
    if d.size == 0:
        raise ValueError("no candidates to pick from")
    return int(np.argmin(d))  # argmin returns the first of equal minima
