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
    return dict(lm_cfg(config, lm)[TRAINING[model][1]])


def seed(config: Mapping[str, Any], lm: str, model: str) -> int:
    return derive_seed(config["root_seed"], "lm", lm, model)


def outputs(config: Mapping[str, Any]) -> list[str]:
    """What ``rule all`` asks for: each audit's report."""
    return [f"results/lm/{lm}/report.md" for lm in config.get("language_models") or {}]
