"""Checks of the workflow config that JSON schema cannot express: registry
membership and cross-field rules, each raising a one-line
:class:`~diffcal.config.errors.ConfigError` that names the key, before any job runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.attacks.calibration import CALIBRATIONS, SCORES
from diffcal.config.errors import ConfigError, fail, require
from diffcal.config.lm_checks import check_language_models, check_lm_audits
from diffcal.config.study_checks import check_ablations, check_compare
from diffcal.config.user_files import check_audits, check_given_target, check_plugins, known_size
from diffcal.config.views import label_only, recipe, references
from diffcal.data.registry import SOURCES, check_source_options, source_options
from diffcal.training.spec import ARCHS, MLP_HEADS, MODEL_OPTIONS, RECIPE_DEFAULTS

#: Top-level folders of ``results/`` that are not datasets (the report stages write
#: there): a dataset of that name would write into them. A test checks this list
#: against the rules' output paths.
RESERVED_NAMES = ("ablations", "audit", "compare", "figures", "lm", "tables")


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` on the first invalid value (defaults already filled)."""
    datasets = config.get("datasets") or {}
    require(
        len(datasets) > 0
        or len(config.get("audits") or {}) > 0
        or len(config.get("language_models") or {}) > 0
        or len(config.get("lm_audits") or {}) > 0,
        "datasets",
        "must map at least one dataset name to its settings (or give `audits` or "
        "`language_models` or `lm_audits`)",
    )
    check_audits(config)
    check_language_models(config, RESERVED_NAMES)
    check_lm_audits(config)
    for name in datasets:
        require(
            name not in RESERVED_NAMES,
            f"datasets.{name}",
            f"the name is taken by an output folder (results/{name}/); "
            f"reserved: {list(RESERVED_NAMES)}",
        )
    _check_attack(config)
    for name, ds in datasets.items():
        _check_source(name, ds)
        if ds.get("target"):
            check_given_target(name, ds)
        _check_model(name, ds)
        _check_splits(config, name, ds)
        for vname, var in ds["variants"].items():
            _check_variant(config, name, vname, var)
    check_ablations(config)
    check_compare(config)


def _check_attack(config: Mapping[str, Any]) -> None:
    att = config["attack"]
    for s in att["scores"]:
        require(s in SCORES, "attack.scores", f"unknown score {s!r}; allowed: {sorted(SCORES)}")
    for c in att["calibrations"]:
        require(
            c in CALIBRATIONS,
            "attack.calibrations",
            f"unknown calibration {c!r}; allowed: {list(CALIBRATIONS)}",
        )
    check_plugins(att.get("extra") or [])
    rep = config["report"]
    require(
        rep["figure_score"] in att["scores"],
        "report.figure_score",
        f"{rep['figure_score']!r} is not among attack.scores {att['scores']}",
    )


def _check_source(name: str, ds: Mapping[str, Any]) -> None:
    key = f"datasets.{name}"
    require(
        ds["source"] in SOURCES,
        f"{key}.source",
        f"unknown source {ds['source']!r}; allowed: {sorted(SOURCES)}",
    )
    allowed = source_options(ds["source"])
    for k in ds.get("source_kwargs", {}):
        require(
            k in allowed,
            f"{key}.source_kwargs.{k}",
            f"unknown option of source {ds['source']!r}; allowed: {allowed}",
        )
    try:
        check_source_options(ds["source"], dict(ds.get("source_kwargs", {})))
    except (ValueError, TypeError) as e:
        fail(f"{key}.source_kwargs", e)


def _check_model(name: str, ds: Mapping[str, Any]) -> None:
    key = f"datasets.{name}"
    arch = ds["model"]["arch"]
    require(
        arch in ARCHS,
        f"{key}.model.arch",
        f"unknown architecture {arch!r}; allowed: {sorted(ARCHS)}",
    )
    require(
        (arch == "python") == bool(ds["model"].get("factory")),
        f"{key}.model.factory",
        "arch python needs a factory ('module:function' or 'file.py:function'), "
        "and only arch python takes one",
    )
    if arch == "python":
        # Imports torch (and the user's module), so only for a factory.
        from diffcal.training.factory import factory_options

        try:
            allowed_kwargs = factory_options(ds["model"]["factory"])
        except (ValueError, TypeError) as e:
            fail(f"{key}.model.factory", e)
    else:
        allowed_kwargs = model_options(arch)
    for k in ds["model"].get("kwargs", {}):
        require(
            allowed_kwargs is None or k in allowed_kwargs,
            f"{key}.model.kwargs.{k}",
            f"unknown option of architecture {ds['model']['arch']!r}; allowed: {allowed_kwargs}",
        )
    head = ds["model"].get("kwargs", {}).get("head", "logits")
    require(
        head in MLP_HEADS,
        f"{key}.model.kwargs.head",
        f"{head!r} is not a head; allowed: {list(MLP_HEADS)}",
    )


def _check_splits(config: Mapping[str, Any], name: str, ds: Mapping[str, Any]) -> None:
    key = f"datasets.{name}"
    n = known_size(ds)
    if n is not None:
        from diffcal.data.splits import split_roles

        try:
            split_roles(n, seed=0, **ds["split"])
        except ValueError as e:
            fail(f"{key}.split", e)
    require(
        isinstance(ds["splits"], int) and ds["splits"] >= 1,
        f"{key}.splits",
        f"must be an integer >= 1, got {ds['splits']!r}",
    )
    rep = config["report"]
    require(
        rep["figure_split"] < ds["splits"],
        "report.figure_split",
        f"{rep['figure_split']} is not a split of {name} (splits: {ds['splits']})",
    )
    for section in ("train", "forget"):
        for k in ds.get(section, {}):
            require(
                k in RECIPE_DEFAULTS,
                f"{key}.{section}.{k}",
                f"unknown training key; allowed: {sorted(RECIPE_DEFAULTS)}",
            )


def model_options(arch: str) -> list[str]:
    """Keyword options of an architecture (its builder's keyword-only arguments)."""
    return list(MODEL_OPTIONS[arch])


#: Fewer threshold-selection members (or non-members) than this makes tau noisy.
MIN_THRESHOLD_SAMPLES = 20


def config_warnings(config: Mapping[str, Any]) -> list[str]:
    """Settings that run but probably give meaningless numbers (printed, not fatal)."""
    out = []
    for name, ds in config["datasets"].items():
        n = known_size(ds)
        if n is None:
            continue
        from diffcal.data.splits import split_roles

        for vname, var in ds["variants"].items():
            if var.get("targets_from"):
                continue
            try:
                sp = split_roles(n, seed=0, **ds["split"], train_size=var.get("train_size"))
            except ValueError:
                continue  # reported as an error by check_config
            small = min(int((sp == "shadow_in").sum()), int((sp == "shadow_out").sum()))
            if small < MIN_THRESHOLD_SAMPLES:
                out.append(
                    f"config key 'datasets.{name}.split' (variant {vname}): only {small} "
                    f"threshold-selection members / non-members per split; tau will be noisy "
                    f"(at least {MIN_THRESHOLD_SAMPLES} advised)"
                )
    return out


REFERENCE_KEYS = ("scratch", "forget", "size_fraction", "early_stopping", "patience", "stop_on")


def _check_variant(config, name: str, vname: str, var: Mapping[str, Any]) -> None:
    key = f"datasets.{name}.variants.{vname}"
    for k in var.get("train", {}):
        require(
            k in RECIPE_DEFAULTS,
            f"{key}.train.{k}",
            f"unknown training key; allowed: {sorted(RECIPE_DEFAULTS)}",
        )
    for k, v in var.get("references", {}).items():
        require(
            k in REFERENCE_KEYS,
            f"{key}.references.{k}",
            f"unknown key; allowed: {list(REFERENCE_KEYS)}",
        )
        if k in ("scratch", "forget"):
            require(
                isinstance(v, int) and v >= 1,
                f"{key}.references.{k}",
                f"must be an integer >= 1, got {v!r}",
            )
        if k == "size_fraction":
            require(0 < v <= 1, f"{key}.references.{k}", f"must lie in (0, 1], got {v!r}")
    refs = references(config, name, vname)
    if refs.get("stop_on", "shadow") == "reference":
        require(
            refs["early_stopping"] and refs["size_fraction"] < 1,
            f"{key}.references.stop_on",
            "`reference` stops on the reference-pool samples a reference did not train on: "
            f"it needs early_stopping: true and size_fraction < 1 (got "
            f"{refs['early_stopping']}, {refs['size_fraction']})",
        )
    _check_variant_label_only(config, name, vname, var)
    variants = config["datasets"][name]["variants"]
    base = var.get("targets_from")
    if base is not None:
        require(
            base in variants and base != vname and not variants[base].get("targets_from"),
            f"{key}.targets_from",
            f"{base!r} is not another variant of {name} that trains its own target; "
            f"variants: {sorted(variants)}",
        )
        for k in ("train", "train_size", "dp"):
            require(
                not var.get(k),
                f"{key}.{k}",
                f"a variant with targets_from uses the target of {base!r}; it cannot set {k}",
            )
    _check_variant_target(config, name, vname, var)


def _check_variant_label_only(config, name: str, vname: str, var: Mapping[str, Any]) -> None:
    key = f"datasets.{name}.variants.{vname}"
    lo = label_only(config, name, vname)
    allowed_lo = sorted(config["datasets"][name]["label_only"])
    for k, v in var.get("label_only", {}).items():
        require(k in allowed_lo, f"{key}.label_only.{k}", f"unknown key; allowed: {allowed_lo}")
        require(
            isinstance(v, bool) if k == "enabled" else isinstance(v, int) and v >= 1,
            f"{key}.label_only.{k}",
            f"must be {'true or false' if k == 'enabled' else 'an integer >= 1'}, got {v!r}",
        )
    from diffcal.attacks.hsj_budget import check_budget

    try:
        check_budget(*(lo[k] for k in ("max_iter", "max_eval", "init_eval", "init_size")))
    except ValueError as e:
        fail(f"datasets.{name}.label_only", e)


def _check_variant_target(config, name: str, vname: str, var: Mapping[str, Any]) -> None:
    """A variant's own target: its training size and DP settings."""
    key = f"datasets.{name}.variants.{vname}"
    size = var.get("train_size")
    if size is not None:
        require(
            isinstance(size, int) and size >= 2,
            f"{key}.train_size",
            f"must be an integer >= 2, got {size!r}",
        )
        ds = config["datasets"][name]
        n = known_size(ds)
        if n is not None:
            from diffcal.data.splits import split_roles

            try:  # the split itself says whether the member pool is large enough
                split_roles(n, seed=0, **ds["split"], train_size=size)
            except ValueError as e:
                fail(f"{key}.train_size", e)
    if "dp" in var:
        from diffcal.training.dp import check_dp

        try:  # the checks train_dp itself applies, named by key
            check_dp(var["dp"])
        except ValueError as e:
            field, _, msg = str(e).partition(" ")
            raise ConfigError(f"config key '{key}.{field}': {msg}") from None
        require(
            not recipe(config, name, vname)["augment"],
            f"{key}.train.augment",
            "augmentation is not supported with dp",
        )
