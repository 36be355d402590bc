"""Views of a prepared config for the rules: one dataset's or variant's settings,
with keys sorted so that Snakemake compares params by content, not order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.data.splits import part_label, part_splits
from diffcal.training.spec import RECIPE_DEFAULTS


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
    from diffcal.training.dp import DP_DEFAULTS

    var = config["datasets"][dataset]["variants"][variant]
    return {**DP_DEFAULTS, **var["dp"]} if "dp" in var else None


#: Canary kinds of the one-run audit -> the folder of a variant's results they go to.
CANARY_DIRS = {"natural": "one_run", "mislabelled": "one_run_mislabelled"}


def one_run_canaries(config: Mapping[str, Any], dataset: str) -> int:
    """How many canaries the one-run audit draws on ``dataset`` (``canaries``: one
    count, or dataset -> count)."""
    c = config["ablations"].get("one_run", {}).get("canaries", 1000)
    return int(c[dataset]) if isinstance(c, Mapping) else int(c)


def dp_delta(config: Mapping[str, Any], dataset: str, variant: str) -> float:
    """The variant's DP delta, or the default delta for a variant trained without DP
    (what the one-run audit's (epsilon, delta) bounds test)."""
    from diffcal.training.dp import DP_DEFAULTS

    return float((dp(config, dataset, variant) or DP_DEFAULTS)["delta"])


def reference_variant(config: Mapping[str, Any], dataset: str, variant: str) -> str:
    """The variant whose shadow, scratch references, forgetting-recipe tuning and
    shadow forgetting references ``variant`` uses: itself, or - for a DP target
    attacked with non-private references (``dp.references: nonprivate``) - the first
    variant by name without DP (and its own target) whose split, recipes and
    ``references`` are the same. Those models would be identical: seeds derive from
    the dataset, split, role and index, never the variant. So they train once
    (the Figure 6 variants reuse the undefended variant's)."""
    own = dp(config, dataset, variant)
    if own is None or own["references"] != "nonprivate":
        return variant
    if model_variant(config, dataset, variant) != variant:
        return variant
    key = _reference_key(config, dataset, variant)
    for other in sorted(config["datasets"][dataset]["variants"]):
        if (
            other != variant
            and dp(config, dataset, other) is None
            and model_variant(config, dataset, other) == other
            and _reference_key(config, dataset, other) == key
        ):
            return other
    return variant


def _reference_key(config: Mapping[str, Any], dataset: str, variant: str) -> Any:
    """Every variant setting that the shadow and reference models depend on."""
    return canonical(
        {
            "split": split_config(config, dataset, variant),
            "recipe": recipe(config, dataset, variant),
            "forget": forget_recipe(config, dataset, variant),
            "references": references(config, dataset, variant),
        }
    )


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


def model_chunks(config: Mapping[str, Any], dataset: str, n_models: int) -> list[str]:
    """Labels of the chunks of ``n_models`` reference models of ``dataset``, one job
    each: consecutive runs of ``models_per_job`` model indices (all when null), e.g.
    ``["0-15"]`` or ``["0-7", "8-15"]``; parse one with
    :func:`diffcal.data.splits.part_splits`."""
    if n_models < 1:
        return []
    per = config["datasets"][dataset].get("models_per_job") or n_models
    return [part_label(range(s, min(s + per, n_models))) for s in range(0, n_models, per)]


def part_of(config: Mapping[str, Any], dataset: str, split: int) -> str:
    """Label of the part of ``dataset`` that holds split ``split``."""
    for label in parts(config, dataset):
        if split in part_splits(label):
            return label
    raise ValueError(f"{dataset} has no split {split}")


def attack_columns(config: Mapping[str, Any]) -> list[str]:
    """Attack names in table order (see :func:`diffcal.attacks.calibration.attack_names`),
    then the plugins' (``attack.extra``)."""
    from diffcal.attacks.calibration import attack_names
    from diffcal.attacks.plugins import plugin_names

    att = config["attack"]
    names = attack_names(list(att["scores"]), list(att["calibrations"]), bool(att["gap"]))
    return names + plugin_names(att.get("extra") or [])


#: Sources of the user's own data (an audit report by default).
USER_SOURCES = ("table", "arrays", "image_folder")


def audit_datasets(config: Mapping[str, Any]) -> list[str]:
    """Datasets that get an audit report: ``audit_report: true``, or unset and the
    dataset is the user's own (a user source, ``arch: python`` or a given target)."""
    out = []
    for name, ds in (config.get("datasets") or {}).items():
        flag = ds.get("audit_report")
        own = (
            ds["source"] in USER_SOURCES
            or ds.get("model", {}).get("arch") == "python"
            or bool(ds.get("target"))
        )
        if flag or (flag is None and own):
            out.append(name)
    return out
