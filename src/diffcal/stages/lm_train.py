"""Stage ``lm_train``: one model of a language-model audit (module
``diffcal.config.lm_views.TRAINING``): the base model (trained from scratch on
the pretraining documents; a pretrained model as it is), or a model fine-tuned
from another on its documents."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch

from diffcal.training.causal_lm import (
    encode,
    fine_tune,
    load_lm,
    new_lm,
    new_tokenizer,
    ready_to_train,
    save_lm,
)
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_lm_train(
    *,
    documents: str,
    out: str,
    init: str | None,
    role: str,
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    seed: int,
    torch_threads: int,
) -> None:
    """Train on the documents of ``role``, starting from ``init`` (a model file;
    None: a new model, its weights from ``seed``), and save to ``out``."""
    setup_torch(torch_threads)
    if init is None and model_cfg.get("arch") == "pretrained":
        log.info("the base model is %s itself: nothing to train", model_cfg["source"])
        save_lm(None, dict(model_cfg), out)  # its weights are read from the source
        return
    docs = pd.read_parquet(documents)
    texts = docs.loc[docs["role"] == role, "text"].tolist()
    if init is None:
        torch.manual_seed(seed)
        model, cfg = new_lm(dict(model_cfg)), dict(model_cfg)
    else:
        model, cfg = load_lm(init)
    ready_to_train(model, cfg, seed)
    enc = encode(texts, new_tokenizer(cfg), cfg["context"])
    n_tokens = int((enc.lengths - 1).sum())
    log.info("%d %s documents, %d tokens to predict a pass", len(texts), role, n_tokens)
    start = time.perf_counter()
    fine_tune(model, enc, seed=seed, **recipe)
    took = time.perf_counter() - start
    trained = n_tokens * int(recipe["epochs"])
    log.info("%d tokens trained on in %.1f s (%.0f tokens/s)", trained, took, trained / took)
    save_lm(model, cfg, out)
