"""Checks and views of the workflow config that JSON schema cannot express.

The Snakefile validates types, ranges and enums with
``workflow/schemas/config.schema.yaml`` (which also fills defaults), then calls
:func:`check_config` for registry membership and cross-field rules. Every error
names the offending key and the allowed values, and is raised before any job runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.attacks import CALIBRATIONS, SCORES
from diffcal.data import SOURCES, source_options
from diffcal.models import MODELS
from diffcal.splits import part_label, part_splits
from diffcal.train import RECIPE_DEFAULTS


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def _require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config key '{key}': {msg}")


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` on the first invalid value (defaults already filled)."""
    datasets = config.get("datasets")
    _require(
        isinstance(datasets, Mapping) and len(datasets) > 0,
        "datasets",
        "must map at least one dataset name to its settings",
    )
    att = config["attack"]
    for s in att["scores"]:
        _require(s in SCORES, "attack.scores", f"unknown score {s!r}; allowed: {sorted(SCORES)}")
    for c in att["calibrations"]:
        _require(
            c in CALIBRATIONS,
            "attack.calibrations",
            f"unknown calibration {c!r}; allowed: {list(CALIBRATIONS)}",
        )
    rep = config["report"]
    _require(
        rep["figure_score"] in att["scores"],
        "report.figure_score",
        f"{rep['figure_score']!r} is not among attack.scores {att['scores']}",
    )
    for name, ds in datasets.items():
        key = f"datasets.{name}"
        _require(
            ds["source"] in SOURCES,
            f"{key}.source",
            f"unknown source {ds['source']!r}; allowed: {sorted(SOURCES)}",
        )
        if ds["source"] in SOURCES:
            allowed = source_options(ds["source"])
            for k in ds.get("source_kwargs", {}):
                _require(
                    k in allowed,
                    f"{key}.source_kwargs.{k}",
                    f"unknown option of source {ds['source']!r}; allowed: {allowed}",
                )
        _require(
            ds["model"]["arch"] in MODELS,
            f"{key}.model.arch",
            f"unknown architecture {ds['model']['arch']!r}; allowed: {sorted(MODELS)}",
        )
        _require(
            isinstance(ds["splits"], int) and ds["splits"] >= 1,
            f"{key}.splits",
            f"must be an integer >= 1, got {ds['splits']!r}",
        )
        _require(
            rep["figure_split"] < ds["splits"],
            "report.figure_split",
            f"{rep['figure_split']} is not a split of {name} (splits: {ds['splits']})",
        )
        for section in ("train", "forget"):
            for k in ds.get(section, {}):
                _require(
                    k in RECIPE_DEFAULTS,
                    f"{key}.{section}.{k}",
                    f"unknown training key; allowed: {sorted(RECIPE_DEFAULTS)}",
                )
        for vname, var in ds["variants"].items():
            for k in var.get("train", {}):
                _require(
                    k in RECIPE_DEFAULTS,
                    f"{key}.variants.{vname}.train.{k}",
                    f"unknown training key; allowed: {sorted(RECIPE_DEFAULTS)}",
                )


def recipe(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    """Training recipe of the target (and shadow, scratch references) of a variant."""
    ds = config["datasets"][dataset]
    return {**RECIPE_DEFAULTS, **ds["train"], **ds["variants"][variant].get("train", {})}


def forget_recipe(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    """Recipe of the forgetting references: the target's recipe with overrides."""
    return {**recipe(config, dataset, variant), **config["datasets"][dataset]["forget"]}


def split_config(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    ds = config["datasets"][dataset]
    return {**ds["split"], "train_size": ds["variants"][variant].get("train_size")}


def label(config: Mapping[str, Any], dataset: str, variant: str) -> str:
    base = config["datasets"][dataset].get("label", dataset)
    return base if variant == "plain" else f"{base} ({variant})"


def runs(config: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """Every (dataset, variant, split index) the config asks for, in config order."""
    return [
        (name, variant, t)
        for name, ds in config["datasets"].items()
        for variant in ds["variants"]
        for t in range(ds["splits"])
    ]


def parts(config: Mapping[str, Any], dataset: str) -> list[str]:
    """Labels of the parts of ``dataset``: consecutive runs of ``splits_per_job``
    splits (all T when it is null), e.g. ``["0-4"]`` or ``["0", "1", "2"]``."""
    ds = config["datasets"][dataset]
    t, per = ds["splits"], ds.get("splits_per_job") or ds["splits"]
    return [part_label(range(s, min(s + per, t))) for s in range(0, t, per)]


def part_of(config: Mapping[str, Any], dataset: str, split: int) -> str:
    """Label of the part of ``dataset`` that holds split ``split``."""
    for label in parts(config, dataset):
        if split in part_splits(label):
            return label
    raise ValueError(f"{dataset} has no split {split}")


def attack_columns(config: Mapping[str, Any]) -> list[str]:
    """Attack names in table order (see :func:`diffcal.attacks.attack_names`)."""
    from diffcal.attacks import attack_names

    att = config["attack"]
    return attack_names(list(att["scores"]), list(att["calibrations"]), bool(att["gap"]))
