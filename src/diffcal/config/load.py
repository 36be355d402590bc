"""Reading a config: schema validation (one-line errors), defaults, then the checks.

The Snakefile and the command-line tools take the same path, :func:`prepare_config`:
types, ranges and enums from ``workflow/schemas/config.schema.yaml`` (which also
fills defaults), then :func:`diffcal.config.checks.check_config` for registry
membership and cross-field rules. Every error names the offending key.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from diffcal.config.checks import check_config
from diffcal.config.errors import ConfigError

#: The config schema (in the repository; the library is used from a checkout).
SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


def _schema(schema_path=None) -> dict:
    """The schema (read once per file version; the validators do not modify it)."""
    path = Path(schema_path or SCHEMA)
    if not path.exists():
        raise ConfigError(f"config schema not found at {path} (run from a diffcal checkout)")
    return _read_schema(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_schema(path: str, _mtime_ns: int) -> dict:
    import yaml

    # libyaml's loader where PyYAML has it: the pure-Python one took 0.3 s per read.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


def check_and_fill(config: dict[str, Any], schema_path=None) -> None:
    """Validate ``config`` against the schema and fill its defaults in place, in one
    pass: raise :class:`ConfigError` with one line (key path, value, what is
    allowed) for the most relevant violation; otherwise set every missing key that
    has a default (nested objects too: an object's default is set before its own
    properties are visited), as Snakemake's ``validate(..., set_default=True)``
    does. The workflow and the command-line tools (:mod:`diffcal.config.recipe_search`)
    both go through :func:`load_config` / :func:`prepare_config`, so they see the
    same config. (Snakemake's own ``validate`` prints the whole schema on an
    unknown key. One pass instead of a check and then a fill: ~40 ms of every
    ``snakemake -n``.)"""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import best_match

    base = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from base(validator, properties, instance, schema)

    filler = validators.extend(Draft202012Validator, {"properties": set_defaults})
    err = best_match(filler(_schema(schema_path)).iter_errors(config))
    if err is None:
        return
    path = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    msg = err.message if len(err.message) <= 300 else err.message[:300] + "..."
    if err.validator == "enum":
        msg = f"{err.instance!r} is not allowed; allowed: {err.validator_value}"
    raise ConfigError(f"config key '{path}': {msg}")


def prepare_config(config: dict[str, Any], schema_path=None) -> dict[str, Any]:
    """Validate ``config`` (one-line errors), fill its defaults, check it: the one
    path every config takes (the Snakefile and :func:`load_config`)."""
    check_and_fill(config, schema_path)
    _fill_from_registry(config)
    check_config(config)
    return config


def _fill_from_registry(config: dict[str, Any]) -> None:
    """The defaults the attack registry holds, not the schema: the comparison runs
    every attack of its ``compare`` suite (an attack added to the registry joins it
    with no schema edit)."""
    from diffcal.attacks.registry import suite

    if isinstance(config.get("compare"), dict):
        config["compare"].setdefault("attacks", list(suite("compare")))


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
