"""Search for a target training recipe on public data only.

The paper gives its optimiser and the ranges of epochs and batch sizes, not the
per-dataset values, and asks for target accuracies near its Table 1. This module
makes that choice reproducible without reading the evaluation split: for every
candidate recipe of a grid, every split and every seed, a model is trained from
scratch on the split's ``reference`` pool (the same size as the target's member
set with the default fractions) and tested on its ``shadow_in`` + ``shadow_out``
samples. It uses the splits the workflow uses (same seeds), but never the
``member`` / ``nonmember`` rows.

Usage (prints the table, writes it as CSV)::

    python -m diffcal.config.recipe_search --config config/paper.yaml --dataset hepatitis \\
        --data-dir ../shared/data --seeds 2 --goal 0.998 0.871 \\
        --grid epochs=5,10,20,50 batch_size=4,8,16 lr=0.01,0.1 \\
        --out results/recipe_search/hepatitis.csv
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml

from diffcal.config.errors import ConfigError
from diffcal.config.load import load_config
from diffcal.config.views import recipe, split_config
from diffcal.core.io import write_csv
from diffcal.core.seeds import derive_seed
from diffcal.data.registry import Prepared, prepare
from diffcal.data.splits import ids_with_role, split_of
from diffcal.training.models import model_spec, new_model
from diffcal.training.spec import RECIPE_DEFAULTS
from diffcal.training.train import accuracy, setup_torch, train_model
from diffcal.training.tune import accuracy_distance, recipe_grid

log = logging.getLogger("diffcal")


def search(
    data: Prepared,
    splits: Sequence[pd.DataFrame],
    *,
    model_cfg: Mapping[str, Any],
    base_recipe: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    seeds: int,
    root_seed: int,
    seed_key: str,
) -> pd.DataFrame:
    """One row per (candidate, split, seed), in grid order: the grid values, ``split``,
    ``seed``, ``train_acc`` (on the reference pool) and ``test_acc`` (on the shadow
    samples).

    Candidates that differ only in ``epochs`` share one model per (split, seed) under
    the constant schedule: it trains for the largest count and is tested after each
    listed one, which gives the numbers separate runs give (the seed does not depend
    on the candidate; tested) at a fraction of the cost."""
    spec = model_spec(data, model_cfg)
    candidates = recipe_grid(grid)
    found: dict[tuple, tuple[float, float]] = {}
    groups = _epoch_groups(candidates, base_recipe)
    for i, (cand, counts) in enumerate(groups):
        for t, sp in enumerate(splits):
            train_ids = ids_with_role(sp, "reference")
            test_ids = ids_with_role(sp, "shadow_in", "shadow_out")
            train = data.features(train_ids), data.y[train_ids]
            test = data.features(test_ids), data.y[test_ids]
            for s in range(seeds):
                seed = derive_seed(root_seed, seed_key, t, "recipe_search", s)
                recipe = {**base_recipe, **dict(cand), "epochs": max(counts)}
                accs = _accuracies_at(new_model(spec, seed), train, test, recipe, seed, counts)
                found.update({(cand, e, t, s): acc for e, acc in accs.items()})
        log.info(
            "candidate group %d/%d done: %s, epochs %s", i + 1, len(groups), dict(cand), counts
        )
    rows = []
    for cand in candidates:
        rest, epochs = _without_epochs(cand, base_recipe)
        for t in range(len(splits)):
            for s in range(seeds):
                train_acc, test_acc = found[(rest, epochs, t, s)]
                rows.append(
                    {**cand, "split": t, "seed": s, "train_acc": train_acc, "test_acc": test_acc}
                )
    return pd.DataFrame(rows)


def _accuracies_at(model, train, test, recipe, seed, counts) -> dict[int, tuple[float, float]]:
    """Train ``model`` on ``train`` = (x, y); {epochs: (train, test accuracy)} after
    each count in ``counts``."""
    out = {}

    def record(done: int, m: Any) -> None:
        if done in counts:
            out[done] = (accuracy(m, *train), accuracy(m, *test))

    train_model(model, *train, recipe=recipe, seed=seed, on_epoch=record)
    return out


def _without_epochs(cand: Mapping[str, Any], base_recipe: Mapping[str, Any]) -> tuple[tuple, int]:
    """A candidate's other grid items (a hashable key) and its epoch count."""
    rest = tuple((k, v) for k, v in cand.items() if k != "epochs")
    return rest, int(cand.get("epochs", base_recipe.get("epochs", RECIPE_DEFAULTS["epochs"])))


def _epoch_groups(
    candidates: Sequence[Mapping[str, Any]], base_recipe: Mapping[str, Any]
) -> list[tuple[tuple, list[int]]]:
    """``[(non-epoch items, epoch counts)]``: one group per distinct set of the other
    grid values, in first-seen order; under a non-constant schedule (its steps depend
    on the total) each candidate is its own group."""
    groups: dict[tuple, tuple[tuple, list[int]]] = {}
    for cand in candidates:
        rest, epochs = _without_epochs(cand, base_recipe)
        constant = {**RECIPE_DEFAULTS, **base_recipe, **cand}["schedule"] == "constant"
        _, counts = groups.setdefault(rest if constant else (rest, epochs), (rest, []))
        if epochs not in counts:
            counts.append(epochs)
    return [(rest, sorted(counts)) for rest, counts in groups.values()]


def rank_candidates(
    runs: pd.DataFrame, keys: Sequence[str], goal: tuple[float, float]
) -> pd.DataFrame:
    """Mean accuracies per candidate and their distance to ``goal`` (train, test),
    closest first (ties keep grid order)."""
    out = runs.groupby(list(keys), sort=False)[["train_acc", "test_acc"]].mean().reset_index()
    out["n_runs"] = runs.groupby(list(keys), sort=False).size().to_numpy()
    out["distance"] = accuracy_distance(out["train_acc"], out["test_acc"], *goal)
    return out.sort_values("distance", kind="stable").reset_index(drop=True)


def _parse_grid(items: Sequence[str]) -> dict[str, list]:
    grid: dict[str, list] = {}
    for item in items:
        key, _, values = item.partition("=")
        if key not in RECIPE_DEFAULTS or not values:
            allowed = sorted(RECIPE_DEFAULTS)
            raise SystemExit(f"--grid item {item!r}: expected KEY=V1,V2,... with KEY in {allowed}")
        cast = type(RECIPE_DEFAULTS[key])
        grid[key] = [yaml.safe_load(v) if cast is bool else cast(v) for v in values.split(",")]
    return grid


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m diffcal.config.recipe_search",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", required=True, help="workflow config (YAML)")
    p.add_argument("--dataset", required=True, help="dataset name in the config")
    p.add_argument("--data-dir", default=None, help="raw data directory (default: config)")
    p.add_argument("--grid", nargs="+", required=True, help="KEY=V1,V2 ... recipe candidates")
    p.add_argument("--seeds", type=int, default=2, help="models per (candidate, split)")
    p.add_argument(
        "--goal",
        type=float,
        nargs=2,
        default=None,
        metavar=("TRAIN", "TEST"),
        help="accuracies to rank candidates by, e.g. the paper's Table 1 "
        "(default 1 1: best accuracies first)",
    )
    p.add_argument("--out", default=None, help="CSV of every run")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    try:  # the workflow's own path: schema, defaults, checks (one config path)
        config = load_config(args.config)
    except ConfigError as e:
        raise SystemExit(str(e)) from None
    if args.dataset not in config["datasets"]:
        raise SystemExit(f"dataset {args.dataset!r} is not in {args.config}")
    ds = config["datasets"][args.dataset]
    grid = _parse_grid(args.grid)
    setup_torch(1)
    data = prepare(ds["source"], args.data_dir or config["data_dir"], **ds["source_kwargs"])
    seed_key = ds.get("seed_key", args.dataset)
    root_seed = int(config["root_seed"])
    variant = "plain" if "plain" in ds["variants"] else next(iter(ds["variants"]))
    splits = [
        split_of(
            data.n,
            root_seed=root_seed,
            dataset=seed_key,
            split_index=t,
            **split_config(config, args.dataset, variant),
        )
        for t in range(int(ds["splits"]))
    ]
    runs = search(
        data,
        splits,
        model_cfg=ds["model"],
        base_recipe=recipe(config, args.dataset, variant),
        grid=grid,
        seeds=args.seeds,
        root_seed=root_seed,
        seed_key=seed_key,
    )
    if args.out:
        write_csv(runs, args.out)
    goal = tuple(args.goal) if args.goal else (1.0, 1.0)
    table = rank_candidates(runs, list(grid), goal)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
