"""What the language-model rules read from the config (no Snakemake, no torch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.config.lm_checks import LM_MODELS
from diffcal.core.seeds import derive_seed

LM_DIR = "results/lm/{lm}"
#: model -> (the documents it trains on, its recipe section)
TRAINING = {
    "base": ("pretrain", "pretrain"),
    "target": ("member", "finetune"),
    "public": ("public", "finetune"),
    "forget": ("public", "forget"),
}
REFERENCES = ("base", "public", "forget")


def lm_cfg(config: Mapping[str, Any], lm: str) -> Mapping[str, Any]:
    return config["language_models"][lm]


def init_file(lm: str, model: str) -> list[str]:
    """The model file ``model`` starts from ([] for the base model)."""
    start = LM_MODELS[model]
    return [] if start is None else [f"results/lm/{lm}/models/{start}.pt"]


def recipe(config: Mapping[str, Any], lm: str, model: str) -> dict[str, Any]:
    """The recipe ``model`` trains with, keys sorted (params compare as dicts in
    order: a config written in another key order must not retrain anything)."""
    return dict(sorted(lm_cfg(config, lm)[TRAINING[model][1]].items()))


def model_cfg(config: Mapping[str, Any], lm: str) -> dict[str, Any]:
    return dict(sorted(lm_cfg(config, lm)["model"].items()))


def corpus(config: Mapping[str, Any], lm: str) -> dict[str, Any]:
    return dict(sorted(lm_cfg(config, lm)["corpus"].items()))


def seed(config: Mapping[str, Any], lm: str, model: str) -> int:
    return derive_seed(config["root_seed"], "lm", lm, model)


def attack_seed(config: Mapping[str, Any]) -> int:
    """The bootstrap's and the blind baseline's seed: the same for every audit, so
    the same per-token files give the same metrics under any audit name."""
    return derive_seed(config["root_seed"], "lm", "attack")


def outputs(config: Mapping[str, Any]) -> list[str]:
    """What ``rule all`` asks for: each audit's report (trained here, or of scores)."""
    names = [*(config.get("language_models") or {}), *(config.get("lm_audits") or {})]
    return [f"results/lm/{lm}/report.md" for lm in names]


def audit_cfg(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return config["lm_audits"][name]
