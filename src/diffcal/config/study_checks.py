"""Checks of the config sections that span datasets (the ablations and the
comparison): every dataset and variant they name exists, their values are in
range. Raise :class:`ConfigError` naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.attacks.registry import suite
from diffcal.config.errors import require
from diffcal.config.views import one_run_canaries, references


def check_family(
    config, family: str, mapping: Mapping[str, Any], section: str = "ablations"
) -> None:
    """``mapping`` (config key ``<section>.<family>``): dataset -> list of variants,
    all defined."""
    for ds, variants in mapping.items():
        key = f"{section}.{family}.{ds}"
        require(
            ds in config["datasets"],
            key,
            f"unknown dataset; datasets: {sorted(config['datasets'])}",
        )
        defined = config["datasets"][ds]["variants"]
        require(
            isinstance(variants, list) and len(variants) > 0, key, "must list at least one variant"
        )
        for v in variants:
            require(
                v in defined, key, f"unknown variant {v!r}; variants of {ds}: {sorted(defined)}"
            )


def check_ablations(config: Mapping[str, Any]) -> None:
    """The ``ablations`` section: its datasets and variants exist, its values are in range."""
    abl = config.get("ablations") or {}
    check_family(config, "train_size", abl.get("train_size", {}))
    ratio = abl.get("ratio", {})
    for r in ratio.get("ratios", []):
        require(
            isinstance(r, int | float) and 0 < r <= 1,
            "ablations.ratio.ratios",
            f"a ratio is members per non-member and must lie in (0, 1], got {r!r}",
        )
    check_family(config, "ratio.datasets", ratio.get("datasets", {}))
    refs = abl.get("references", {})
    check_family(config, "references.datasets", refs.get("datasets", {}))
    max_k = refs.get("max_k", 10)
    require(
        isinstance(max_k, int) and max_k >= 1,
        "ablations.references.max_k",
        f"must be an integer >= 1, got {max_k!r}",
    )
    for ds, variants in refs.get("datasets", {}).items():
        for v in variants:
            have = references(config, ds, v)
            n = min(have["scratch"], have["forget"])
            require(
                max_k <= n,
                "ablations.references.max_k",
                f"K = {max_k} is more than the {n} references of {ds} variant {v} "
                f"(scratch {have['scratch']}, forget {have['forget']})",
            )
    check_family(config, "dp", abl.get("dp", {}))
    for ds, variants in abl.get("dp", {}).items():
        require(
            any("dp" in config["datasets"][ds]["variants"][v] for v in variants),
            f"ablations.dp.{ds}",
            "lists no variant with a dp section",
        )
    one_run = abl.get("one_run", {})
    check_family(config, "one_run.datasets", one_run.get("datasets", {}))
    for ds, variants in one_run.get("datasets", {}).items():
        for v in variants:
            require(
                references(config, ds, v)["scratch"] >= 1,
                f"ablations.one_run.datasets.{ds}",
                f"variant {v} has no scratch reference to calibrate the canaries' scores",
            )
    counts = one_run.get("canaries", 1000)
    if isinstance(counts, Mapping):
        missing = sorted(set(one_run.get("datasets", {})) - set(counts))
        require(not missing, "ablations.one_run.canaries", f"gives no count for {missing}")
    m, k = one_run.get("m", []), one_run.get("k", [])
    for ds in one_run.get("datasets", {}):
        c = one_run_canaries(config, ds)
        require(
            any(2 * kk <= mm <= c for mm in m for kk in k),
            "ablations.one_run",
            f"no pair of m = {m} and k = {k} has 2k <= m <= canaries ({c} on {ds})",
        )


def check_compare(config: Mapping[str, Any]) -> None:
    """The ``compare`` section: datasets, attacks (the registry's) and budgets."""
    cmp = config.get("compare") or {}
    check_family(config, "datasets", cmp.get("datasets", {}), section="compare")
    for ds, variants in cmp.get("datasets", {}).items():
        for v in variants:
            require(
                "dp" not in config["datasets"][ds]["variants"][v],
                f"compare.datasets.{ds}",
                f"variant {v!r} trains with DP-SGD; the pool trains without (not supported)",
            )
    require(
        not cmp.get("only") or bool(cmp.get("datasets")),
        "compare.only",
        "is true but compare.datasets lists nothing: `all` would build nothing",
    )
    known = list(suite("compare"))
    unknown = [a for a in cmp.get("attacks", []) if a not in known]
    require(
        not unknown,
        "compare.attacks",
        f"{unknown} not attacks of the comparison; known: {known}",
    )
    refs = cmp.get("references", 16)
    for m in cmp.get("budgets", []):
        require(
            m <= refs,
            "compare.budgets",
            f"budget {m} is more than the {refs} pool references (compare.references)",
        )
