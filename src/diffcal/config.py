"""Checks and views of the workflow config that JSON schema cannot express.

The Snakefile validates types, ranges and enums with
``workflow/schemas/config.schema.yaml`` (which also fills defaults), then calls
:func:`check_config` for registry membership and cross-field rules. Every error
names the offending key and the allowed values, and is raised before any job runs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from diffcal.attacks import CALIBRATIONS, SCORES
from diffcal.data import SOURCE_SIZES, SOURCES, source_options
from diffcal.models import MLP_HEADS, MODELS
from diffcal.splits import part_label, part_splits
from diffcal.train import RECIPE_DEFAULTS


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def _require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config key '{key}': {msg}")


#: The config schema (in the repository; the library is used from a checkout).
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _schema(schema_path=None) -> dict:
    import yaml

    path = Path(schema_path or SCHEMA)
    if not path.exists():
        raise ConfigError(f"config schema not found at {path} (run from a diffcal checkout)")
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def fill_defaults(config: dict[str, Any], schema_path=None) -> None:
    """Fill the schema's defaults into ``config`` in place (nested objects too: an
    object's default is set before its own properties are visited), as Snakemake's
    ``validate(..., set_default=True)`` does; the workflow and the command-line
    tools (:mod:`diffcal.recipe_search`) both go through :func:`load_config` /
    :func:`prepare_config`, so they see the same config."""
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from base(validator, properties, instance, schema)

    filler = validators.extend(Draft202012Validator, {"properties": set_defaults})
    for err in filler(_schema(schema_path)).iter_errors(config):
        raise ConfigError(f"config key '{'.'.join(map(str, err.absolute_path))}': {err.message}")


def prepare_config(config: dict[str, Any], schema_path=None) -> dict[str, Any]:
    """Validate ``config`` (one-line errors), fill its defaults, check it: the one
    path every config takes (the Snakefile and :func:`load_config`)."""
    check_schema(config, schema_path)
    fill_defaults(config, schema_path)
    check_config(config)
    return config


def load_config(path, schema_path=None) -> dict[str, Any]:
    """Read a config file and :func:`prepare_config` it."""
    import yaml

    if not Path(path).is_file():
        raise ConfigError(f"config file {path} does not exist")
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(config)}")
    return prepare_config(config, schema_path)


def check_schema(config: Mapping[str, Any], schema_path=None) -> None:
    """Raise :class:`ConfigError` with one line (key path, value, what is allowed)
    for the most relevant JSON-schema violation; Snakemake's own ``validate`` (run
    after this, to fill the defaults) prints the whole schema on an unknown key."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    err = best_match(Draft202012Validator(_schema(schema_path)).iter_errors(config))
    if err is None:
        return
    path = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    msg = err.message if len(err.message) <= 300 else err.message[:300] + "..."
    if err.validator == "enum":
        msg = f"{err.instance!r} is not allowed; allowed: {err.validator_value}"
    raise ConfigError(f"config key '{path}': {msg}")


def parse_nested_overrides(config: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Give nested ``--config`` values their YAML types, in place.

    ``snakemake --config 'datasets={digits: {splits: 2}}'`` parses the nested value
    with YAML's BaseLoader, which keeps every leaf a string (``'2'``); top-level
    values are typed. Each string leaf of a nested override is re-read as a YAML
    scalar (``'2'`` -> 2, ``'true'`` -> True, ``'credit'`` stays a string) and
    written back at its path in ``config``.
    """
    import yaml

    def retype(node):
        if isinstance(node, dict):
            return {k: retype(v) for k, v in node.items()}
        if isinstance(node, list):
            return [retype(v) for v in node]
        if isinstance(node, str):
            try:
                value = yaml.safe_load(node)
            except yaml.YAMLError:
                return node
            return value if isinstance(value, int | float | bool) or value is None else node
        return node

    def apply(target, override):
        for k, v in override.items():
            if isinstance(v, dict) and isinstance(target.get(k), dict):
                apply(target[k], v)
            else:  # every leaf here is nested (top-level values are typed already)
                target[k] = retype(v)

    apply(config, {k: v for k, v in overrides.items() if isinstance(v, dict | list)})


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
        allowed_kwargs = model_options(ds["model"]["arch"])
        for k in ds["model"].get("kwargs", {}):
            _require(
                k in allowed_kwargs,
                f"{key}.model.kwargs.{k}",
                f"unknown option of architecture {ds['model']['arch']!r}; "
                f"allowed: {allowed_kwargs}",
            )
        head = ds["model"].get("kwargs", {}).get("head", "logits")
        _require(
            head in MLP_HEADS,
            f"{key}.model.kwargs.head",
            f"{head!r} is not a head; allowed: {list(MLP_HEADS)}",
        )
        n = SOURCE_SIZES.get(ds["source"])
        if n is not None and not ds.get("source_kwargs"):
            from diffcal.splits import make_split

            try:
                make_split(n, seed=0, **ds["split"])
            except ValueError as e:
                raise ConfigError(f"config key '{key}.split': {e}") from None
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
            _check_variant(config, name, vname, var)
    _check_ablations(config)
    _check_compare(config)


def model_options(arch: str) -> list[str]:
    """Keyword options of an architecture (its builder's keyword-only arguments)."""
    import inspect

    params = inspect.signature(MODELS[arch]).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


#: Fewer threshold-selection members (or non-members) than this makes tau noisy.
MIN_THRESHOLD_SAMPLES = 20


def config_warnings(config: Mapping[str, Any]) -> list[str]:
    """Settings that run but probably give meaningless numbers (printed, not fatal)."""
    out = []
    for name, ds in config["datasets"].items():
        n = SOURCE_SIZES.get(ds["source"])
        if n is None or ds.get("source_kwargs"):
            continue
        from diffcal.splits import make_split

        for vname, var in ds["variants"].items():
            if var.get("targets_from"):
                continue
            try:
                sp = make_split(n, seed=0, **ds["split"], train_size=var.get("train_size"))
            except ValueError:
                continue  # reported as an error by check_config
            counts = sp["role"].value_counts()
            small = min(counts.get("shadow_in", 0), counts.get("shadow_out", 0))
            if small < MIN_THRESHOLD_SAMPLES:
                out.append(
                    f"config key 'datasets.{name}.split' (variant {vname}): only {small} "
                    f"threshold-selection members / non-members per split; tau will be noisy "
                    f"(at least {MIN_THRESHOLD_SAMPLES} advised)"
                )
    return out


REFERENCE_KEYS = ("scratch", "forget", "size_fraction", "early_stopping", "patience")


def _check_variant(config, name: str, vname: str, var: Mapping[str, Any]) -> None:
    key = f"datasets.{name}.variants.{vname}"
    for k in var.get("train", {}):
        _require(
            k in RECIPE_DEFAULTS,
            f"{key}.train.{k}",
            f"unknown training key; allowed: {sorted(RECIPE_DEFAULTS)}",
        )
    for k, v in var.get("references", {}).items():
        _require(
            k in REFERENCE_KEYS,
            f"{key}.references.{k}",
            f"unknown key; allowed: {list(REFERENCE_KEYS)}",
        )
        if k in ("scratch", "forget"):
            _require(
                isinstance(v, int) and v >= 1,
                f"{key}.references.{k}",
                f"must be an integer >= 1, got {v!r}",
            )
        if k == "size_fraction":
            _require(0 < v <= 1, f"{key}.references.{k}", f"must lie in (0, 1], got {v!r}")
    lo = label_only(config, name, vname)
    allowed_lo = sorted(config["datasets"][name]["label_only"])
    for k, v in var.get("label_only", {}).items():
        _require(k in allowed_lo, f"{key}.label_only.{k}", f"unknown key; allowed: {allowed_lo}")
        _require(
            isinstance(v, bool) if k == "enabled" else isinstance(v, int) and v >= 1,
            f"{key}.label_only.{k}",
            f"must be {'true or false' if k == 'enabled' else 'an integer >= 1'}, got {v!r}",
        )
    from diffcal.hsj import check_budget

    try:
        check_budget(*(lo[k] for k in ("max_iter", "max_eval", "init_eval", "init_size")))
    except ValueError as e:
        raise ConfigError(f"config key 'datasets.{name}.label_only': {e}") from None
    variants = config["datasets"][name]["variants"]
    base = var.get("targets_from")
    if base is not None:
        _require(
            base in variants and base != vname and not variants[base].get("targets_from"),
            f"{key}.targets_from",
            f"{base!r} is not another variant of {name} that trains its own target; "
            f"variants: {sorted(variants)}",
        )
        for k in ("train", "train_size", "dp"):
            _require(
                not var.get(k),
                f"{key}.{k}",
                f"a variant with targets_from uses the target of {base!r}; it cannot set {k}",
            )
    size = var.get("train_size")
    if size is not None:
        _require(
            isinstance(size, int) and size >= 2,
            f"{key}.train_size",
            f"must be an integer >= 2, got {size!r}",
        )
        ds = config["datasets"][name]
        n = SOURCE_SIZES.get(ds["source"])
        if n is not None and not ds.get("source_kwargs"):
            from diffcal.splits import make_split

            try:  # the split itself says whether the member pool is large enough
                make_split(n, seed=0, **ds["split"], train_size=size)
            except ValueError as e:
                raise ConfigError(f"config key '{key}.train_size': {e}") from None
    if "dp" in var:
        from diffcal.dp import check_dp

        try:  # the checks train_dp itself applies, named by key
            check_dp(var["dp"])
        except ValueError as e:
            field, _, msg = str(e).partition(" ")
            raise ConfigError(f"config key '{key}.{field}': {msg}") from None
        _require(
            not recipe(config, name, vname)["augment"],
            f"{key}.train.augment",
            "augmentation is not supported with dp",
        )


def _check_family(
    config, family: str, mapping: Mapping[str, Any], section: str = "ablations"
) -> None:
    """``mapping`` (config key ``<section>.<family>``): dataset -> list of variants,
    all defined."""
    for ds, variants in mapping.items():
        key = f"{section}.{family}.{ds}"
        _require(
            ds in config["datasets"],
            key,
            f"unknown dataset; datasets: {sorted(config['datasets'])}",
        )
        defined = config["datasets"][ds]["variants"]
        _require(
            isinstance(variants, list) and len(variants) > 0, key, "must list at least one variant"
        )
        for v in variants:
            _require(
                v in defined, key, f"unknown variant {v!r}; variants of {ds}: {sorted(defined)}"
            )


def _check_ablations(config: Mapping[str, Any]) -> None:
    abl = config.get("ablations") or {}
    _check_family(config, "train_size", abl.get("train_size", {}))
    ratio = abl.get("ratio", {})
    for r in ratio.get("ratios", []):
        _require(
            isinstance(r, int | float) and 0 < r <= 1,
            "ablations.ratio.ratios",
            f"a ratio is members per non-member and must lie in (0, 1], got {r!r}",
        )
    _check_family(config, "ratio.datasets", ratio.get("datasets", {}))
    refs = abl.get("references", {})
    _check_family(config, "references.datasets", refs.get("datasets", {}))
    max_k = refs.get("max_k", 10)
    _require(
        isinstance(max_k, int) and max_k >= 1,
        "ablations.references.max_k",
        f"must be an integer >= 1, got {max_k!r}",
    )
    for ds, variants in refs.get("datasets", {}).items():
        for v in variants:
            have = references(config, ds, v)
            n = min(have["scratch"], have["forget"])
            _require(
                max_k <= n,
                "ablations.references.max_k",
                f"K = {max_k} is more than the {n} references of {ds} variant {v} "
                f"(scratch {have['scratch']}, forget {have['forget']})",
            )
    _check_family(config, "dp", abl.get("dp", {}))
    for ds, variants in abl.get("dp", {}).items():
        _require(
            any("dp" in config["datasets"][ds]["variants"][v] for v in variants),
            f"ablations.dp.{ds}",
            "lists no variant with a dp section",
        )


def _check_compare(config: Mapping[str, Any]) -> None:
    cmp = config.get("compare") or {}
    _check_family(config, "datasets", cmp.get("datasets", {}), section="compare")
    for ds, variants in cmp.get("datasets", {}).items():
        for v in variants:
            _require(
                "dp" not in config["datasets"][ds]["variants"][v],
                f"compare.datasets.{ds}",
                f"variant {v!r} trains with DP-SGD; the pool trains without (not supported)",
            )
    _require(
        not cmp.get("only") or bool(cmp.get("datasets")),
        "compare.only",
        "is true but compare.datasets lists nothing: `all` would build nothing",
    )
    refs = cmp.get("references", 16)
    for m in cmp.get("budgets", []):
        _require(
            m <= refs,
            "compare.budgets",
            f"budget {m} is more than the {refs} pool references (compare.references)",
        )


def canonical(node: Any) -> Any:
    """``node`` with every mapping's keys sorted (lists keep their order)."""
    if isinstance(node, Mapping):
        return {k: canonical(node[k]) for k in sorted(node)}
    if isinstance(node, list):
        return [canonical(v) for v in node]
    return node


def recipe(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    """Training recipe of the target (and shadow, scratch references) of a variant."""
    ds = config["datasets"][dataset]
    return {**RECIPE_DEFAULTS, **ds["train"], **ds["variants"][variant].get("train", {})}


def forget_recipe(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    """Recipe of the forgetting references: the target's recipe with overrides."""
    return {**recipe(config, dataset, variant), **config["datasets"][dataset]["forget"]}


def references(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    """The dataset's ``references`` with the variant's overrides."""
    ds = config["datasets"][dataset]
    return {**ds["references"], **ds["variants"][variant].get("references", {})}


def label_only(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any]:
    """The dataset's ``label_only`` section with the variant's overrides."""
    ds = config["datasets"][dataset]
    return {**ds["label_only"], **ds["variants"][variant].get("label_only", {})}


def model_variant(config: Mapping[str, Any], dataset: str, variant: str) -> str:
    """The variant whose split, target and shadow ``variant`` uses (``targets_from``)."""
    return config["datasets"][dataset]["variants"][variant].get("targets_from") or variant


def dp(config: Mapping[str, Any], dataset: str, variant: str) -> dict[str, Any] | None:
    """The variant's DP settings with defaults, or None for a non-private target."""
    from diffcal.dp import DP_DEFAULTS

    var = config["datasets"][dataset]["variants"][variant]
    return {**DP_DEFAULTS, **var["dp"]} if "dp" in var else None


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
