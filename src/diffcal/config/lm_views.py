"""What the language-model rules read from the config (no Snakemake, no torch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.core.seeds import derive_seed

LM_DIR = "results/lm/{lm}"
#: model -> (the model it starts from, the documents it trains on, its recipe
#: section); public_<i> (the further public references) as public.
TRAINING = {
    "base": (None, "pretrain", "pretrain"),
    "target": ("base", "member", "finetune"),
    "public": ("base", "public", "finetune"),
    "forget": ("target", "public", "forget"),
}
#: the references every attack is calibrated by
REFERENCES = ("base", "public", "forget")
#: what the ``model`` wildcard matches
MODEL_PATTERN = "base|target|public|public_[0-9]+|forget"


def training(model: str) -> tuple[str | None, str, str]:
    return TRAINING["public" if model.startswith("public_") else model]


def lm_cfg(config: Mapping[str, Any], lm: str) -> Mapping[str, Any]:
    return config["language_models"][lm]


def init_file(lm: str, model: str) -> list[str]:
    """The model file ``model`` starts from ([] for the base model)."""
    start = training(model)[0]
    return [] if start is None else [f"results/lm/{lm}/models/{start}.pt"]


def recipe(config: Mapping[str, Any], lm: str, model: str) -> dict[str, Any]:
    """The recipe ``model`` trains with, keys sorted (params compare as dicts in
    order: a config written in another key order must not retrain anything)."""
    cfg = lm_cfg(config, lm)
    if model == "base" and cfg["model"]["arch"] == "pretrained":
        return {}  # not trained: the pretrained model as it is
    return dict(sorted(cfg[training(model)[2]].items()))


def model_cfg(config: Mapping[str, Any], lm: str) -> dict[str, Any]:
    return dict(sorted(lm_cfg(config, lm)["model"].items()))


def corpus(config: Mapping[str, Any], lm: str) -> dict[str, Any]:
    return dict(sorted(lm_cfg(config, lm)["corpus"].items()))


def lira_names(config: Mapping[str, Any], lm: str) -> list[str]:
    """The public references offline LiRA reads: public, public_2 .. public_<n>;
    none when ``references`` is 1."""
    n = lm_cfg(config, lm)["references"]
    return [] if n < 2 else ["public", *(f"public_{i}" for i in range(2, n + 1))]


def lira_files(config: Mapping[str, Any], lm: str) -> list[str]:
    return [f"results/lm/{lm}/tokens/{m}.parquet" for m in lira_names(config, lm)]


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
