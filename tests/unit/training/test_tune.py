"""Recipe grids, the closest-candidate rule, and early stopping of training."""

import itertools

import numpy as np
import pytest
import torch

from diffcal.training.models import build_model
from diffcal.training.train import accuracy, train_model
from diffcal.training.tune import accuracy_distance, pick_closest, recipe_grid


def test_recipe_grid_is_the_cartesian_product_in_order():
    grid = {"lr": [0.1, 0.01], "batch_size": [4, 8, 16]}
    out = recipe_grid(grid)
    expected = [{"lr": a, "batch_size": b} for a, b in itertools.product([0.1, 0.01], [4, 8, 16])]
    assert out == expected
    assert recipe_grid({}) == [{}]
    with pytest.raises(ValueError, match="'lr' has no candidate"):
        recipe_grid({"lr": []})


def test_pick_closest_matches_a_loop_and_prefers_the_first_tie():
    rng = np.random.default_rng(3)
    for _ in range(50):
        tr, te = rng.uniform(size=7).round(1), rng.uniform(size=7).round(1)
        goal = rng.uniform(size=2).round(1)
        dists = [abs(a - goal[0]) + abs(b - goal[1]) for a, b in zip(tr, te, strict=True)]
        np.testing.assert_allclose(accuracy_distance(tr, te, *goal), dists)
        best = min(range(7), key=lambda i: (round(dists[i], 12), i))
        assert pick_closest(tr, te, *goal) == best
    # a hand case: (0.9, 0.8) is closest to (1.0, 0.8); the exact tie goes first
    assert pick_closest([0.5, 0.9, 1.1], [0.8, 0.8, 0.8], 1.0, 0.8) == 1
    with pytest.raises(ValueError):
        pick_closest([], [], 1.0, 1.0)


def _toy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6)).astype(np.float32)
    y = ((x[:, 0] + 0.7 * rng.normal(size=120)) > 0).astype(np.int64)
    return x[:60], y[:60], x[60:], y[60:]


def _params(model):
    return [p.detach().clone() for p in model.parameters()]


def test_early_stopping_keeps_the_first_best_epoch():
    """Oracle: with a constant schedule, a run of e epochs is a prefix of a longer
    run, so training 1..E epochs separately gives the validation curve; early
    stopping must return exactly the weights of its first maximum."""
    x, y, xv, yv = _toy()
    recipe = {"epochs": 12, "batch_size": 8, "lr": 0.05}
    curve, weights = [], []
    for e in range(0, 13):
        m = train_model(
            build_model("mlp", (6,), 2, seed=1), x, y, recipe={**recipe, "epochs": e}, seed=2
        ).model
        curve.append(accuracy(m, xv, yv))
        weights.append(_params(m))
    best = 1 + int(np.argmax(curve[1:]))  # first maximum; the initial weights never count
    res = train_model(
        build_model("mlp", (6,), 2, seed=1), x, y, recipe=recipe, seed=2, val=(xv, yv)
    )
    assert res.best_epoch == best and res.epochs_run == 12
    assert res.best_val_acc == pytest.approx(curve[best])
    for p, q in zip(_params(res.model), weights[best], strict=True):
        assert torch.equal(p, q)
    # patience: stop `patience` epochs after the last gain
    pat = 2
    res2 = train_model(
        build_model("mlp", (6,), 2, seed=1), x, y, recipe=recipe, seed=2, val=(xv, yv), patience=pat
    )
    gains = [0] + [e for e in range(1, 13) if curve[e] > max(curve[:e])]
    stop = next((e for e in range(1, 13) if e - max(g for g in gains if g <= e) >= pat), 12)
    assert res2.epochs_run == stop
    assert res2.best_epoch == int(np.argmax(curve[: stop + 1]))
    with pytest.raises(ValueError, match="patience needs a validation set"):
        train_model(build_model("mlp", (6,), 2, seed=1), x, y, recipe=recipe, seed=2, patience=2)


def test_training_without_validation_is_unchanged_by_the_feature():
    x, y, xv, yv = _toy()
    recipe = {"epochs": 5, "batch_size": 8, "lr": 0.05}
    plain = train_model(build_model("mlp", (6,), 2, seed=1), x, y, recipe=recipe, seed=2)
    assert plain.best_epoch is None and plain.epochs_run == 5
    # with validation, the kept weights are those of a plain run of best_epoch
    # epochs (same batch order, constant schedule): validation changes nothing else
    res = train_model(build_model("mlp", (6,), 2, seed=1), x, y, recipe=recipe, seed=2, val=(x, y))
    assert 1 <= res.best_epoch <= 5
    short = train_model(
        build_model("mlp", (6,), 2, seed=1),
        x,
        y,
        recipe={**recipe, "epochs": res.best_epoch},
        seed=2,
    )
    for p, q in zip(_params(res.model), _params(short.model), strict=True):
        assert torch.equal(p, q)
    if res.best_epoch == 5:
        for p, q in zip(_params(res.model), _params(plain.model), strict=True):
            assert torch.equal(p, q)
