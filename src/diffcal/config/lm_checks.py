"""Checks of the ``language_models`` section that JSON schema cannot express, each a
one-line :class:`~diffcal.config.errors.ConfigError` naming the key."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from diffcal.config.errors import fail, require


def check_language_models(config: Mapping[str, Any], reserved: tuple[str, ...]) -> None:
    for name, lm in (config.get("language_models") or {}).items():
        key = f"language_models.{name}"
        require(
            name not in reserved,
            key,
            f"the name is taken by an output folder; reserved: {list(reserved)}",
        )
        corpus = lm["corpus"]
        if corpus["source"] == "file":
            path = corpus.get("path")
            require(bool(path), f"{key}.corpus.path", "source: file needs the corpus file's path")
            require(Path(path).is_file(), f"{key}.corpus.path", f"{path} is not a file")
            suffix = Path(path).suffix.lower()
            require(
                suffix in (".txt", ".jsonl", ".csv"),
                f"{key}.corpus.path",
                f"expected a .txt, .jsonl or .csv file, got {suffix or 'no suffix'}",
            )
            require(
                suffix != ".csv" or bool(corpus.get("column")),
                f"{key}.corpus.column",
                "a .csv corpus needs the column that holds the documents",
            )
        model = lm["model"]
        require(
            model["dim"] % model["heads"] == 0,
            f"{key}.model.heads",
            f"must divide dim ({model['dim']}), got {model['heads']}",
        )
        if model["arch"] == "pretrained":
            check_pretrained(model, f"{key}.model")
        else:
            require("lora" not in model, f"{key}.model.lora", "only arch: pretrained takes LoRA")


def check_pretrained(model: Mapping[str, Any], key: str) -> None:
    """``arch: pretrained`` needs ``source``, the ``lm`` extra, and a model that
    transformers can load offline (its config is read, not its weights)."""
    require(bool(model.get("source")), f"{key}.source", "arch: pretrained needs a source")
    missing = [m for m in ("transformers", "gguf") if importlib.util.find_spec(m) is None]
    require(
        not missing,
        f"{key}.arch",
        f"pretrained models need the lm extra ({missing} missing): "
        "pip install -r requirements-lm.lock",
    )
    from diffcal.training.pretrained_lm import check_loadable

    try:
        check_loadable(model["source"], model["context"])
    except (ValueError, FileNotFoundError) as err:
        fail(f"{key}.source", err)


def check_lm_audits(config: Mapping[str, Any]) -> None:
    models = set(config.get("language_models") or {})
    for name, audit in (config.get("lm_audits") or {}).items():
        key = f"lm_audits.{name}"
        require(name not in models, key, "the name is taken by an entry of `language_models`")
        files = {"documents": audit["documents"], "target": audit["target"]}
        files.update({f"references.{r}": f for r, f in audit["references"].items()})
        files.update({f"lira_references.{r}": f for r, f in audit["lira_references"].items()})
        for part, path in files.items():
            require(Path(path).is_file(), f"{key}.{part}", f"{path} is not a file")
            require(
                Path(path).suffix.lower() in (".csv", ".parquet"),
                f"{key}.{part}",
                f"expected a .csv or .parquet file, got {path}",
            )
