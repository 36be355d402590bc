"""Checks of the ``language_models`` section that JSON schema cannot express, each a
one-line :class:`~diffcal.config.errors.ConfigError` naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from diffcal.config.errors import require

#: The models of a language-model audit, in training order (what each starts from).
LM_MODELS = {"base": None, "target": "base", "public": "base", "forget": "target"}


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


def check_lm_audits(config: Mapping[str, Any]) -> None:
    models = set(config.get("language_models") or {})
    for name, audit in (config.get("lm_audits") or {}).items():
        key = f"lm_audits.{name}"
        require(name not in models, key, "the name is taken by an entry of `language_models`")
        files = {"documents": audit["documents"], "target": audit["target"]}
        files.update({f"references.{r}": f for r, f in audit["references"].items()})
        for part, path in files.items():
            require(Path(path).is_file(), f"{key}.{part}", f"{path} is not a file")
            require(
                Path(path).suffix.lower() in (".csv", ".parquet"),
                f"{key}.{part}",
                f"expected a .csv or .parquet file, got {path}",
            )
