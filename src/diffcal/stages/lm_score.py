"""Stage ``lm_score``: one model's per-token scores on the audited documents
(members and non-members): tokens.parquet with ``doc``, ``position``, ``token``,
``logp``, ``mu``, ``var`` (:func:`diffcal.training.causal_lm.token_scores`)."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from diffcal.core.io import write_parquet
from diffcal.training.causal_lm import encode, load_lm, new_tokenizer, token_scores
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_lm_score(*, documents: str, model: str, out: str, torch_threads: int) -> None:
    setup_torch(torch_threads)
    docs = pd.read_parquet(documents)
    audited = docs[docs["role"].isin(["member", "nonmember"])]
    lm, cfg = load_lm(model)
    enc = encode(audited["text"].tolist(), new_tokenizer(cfg), cfg["context"])
    start = time.perf_counter()
    s = token_scores(lm, enc)
    took = time.perf_counter() - start
    log.info(
        "%d tokens scored in %.1f s (%.0f tokens/s)", len(s["logp"]), took, len(s["logp"]) / took
    )
    frame = pd.DataFrame(
        {
            "doc": audited["doc"].to_numpy()[s["doc"]].astype(np.int32),
            "position": s["position"].astype(np.int32),
            "token": s["token"].astype(np.int32),
            **{k: s[k] for k in ("logp", "mu", "var")},
        }
    )
    write_parquet(frame, out)
