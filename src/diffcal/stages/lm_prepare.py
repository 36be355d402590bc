"""Stage ``lm_prepare``: a corpus -> the documents of a language-model audit, each
with its role (documents.parquet)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.core.io import write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.text import lm_roles, load_fortunes, read_documents

log = logging.getLogger("diffcal")


def run_lm_prepare(
    *,
    out: str,
    corpus: Mapping[str, Any],
    documents: int | None,
    root_seed: int,
    name: str,
    data_dir: str,
) -> None:
    """Read the corpus, keep ``documents`` of them (the first of a seeded shuffle;
    all when None), and write ``doc`` (0..n-1), ``text``, ``role``."""
    if corpus["source"] == "fortunes":
        docs = load_fortunes(data_dir)
    else:
        docs = read_documents(corpus["path"], corpus.get("column"))
    if documents is not None:
        if documents > len(docs):
            raise ValueError(
                f"language_models.{name}.documents: {documents} asked, the corpus has {len(docs)}"
            )
        keep = np.sort(
            np.random.default_rng(derive_seed(root_seed, name, "documents")).permutation(len(docs))[
                :documents
            ]
        )
        docs = [docs[i] for i in keep]
    if len(docs) < 8:
        raise ValueError(
            f"language_models.{name}.corpus: {len(docs)} documents; at least 8 are needed"
        )
    frame = pd.DataFrame(
        {
            "doc": np.arange(len(docs), dtype=np.int32),
            "text": docs,
            "role": lm_roles(len(docs), derive_seed(root_seed, name, "roles")),
        }
    )
    log.info("%d documents: %s", len(frame), frame["role"].value_counts().to_dict())
    write_parquet(frame, out)
