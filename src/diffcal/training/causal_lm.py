"""Causal language models: encode documents, fine-tune, and score every token.

Any model that maps token ids ``(b, t)`` int64 to next-token logits ``(b, t, v)``
works here: :class:`TinyCausalLM` (a small decoder-only transformer trained from
scratch, what the fast tests and a laptop use) or a pretrained model wrapped so
that its forward returns the logits (``diffcal.training.pretrained_lm``, the
``lm`` extra). Documents are encoded once into a padded id matrix and their
lengths: :func:`encode`.

:func:`token_scores` is what the scoring stage writes, one row per (document,
predicted position): the token's log-probability under the model and the mean and
variance of log p(v) under the model's whole next-token distribution there (the
inputs of :mod:`diffcal.attacks.lm_scores`). The first token of a document has
no prediction (nothing precedes it) and gets no row.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from diffcal.core.seeds import torch_generator
from diffcal.training.model_files import portable_state, save_payload

log = logging.getLogger("diffcal")


class ByteTokenizer:
    """UTF-8 bytes as tokens 0..255 and a start token 256 before every document:
    no vocabulary to ship or download (what :class:`TinyCausalLM` reads)."""

    vocab_size = 257
    bos = 256
    name = "bytes"

    def encode(self, text: str) -> list[int]:
        return [self.bos, *text.encode("utf-8")]


@dataclass(frozen=True)
class Encoded:
    """Documents as ids: ``ids`` ``(n, L)`` int64 padded with 0 past each length,
    ``lengths`` ``(n,)`` int64 (at least 2: one token to predict), ``truncated``
    how many documents were cut to the context."""

    ids: np.ndarray
    lengths: np.ndarray
    truncated: int


def encode(docs: Sequence[str], tokenizer, context: int) -> Encoded:
    """Encode ``docs`` with ``tokenizer.encode``; a document longer than ``context``
    tokens keeps its first ``context`` (counted in ``truncated`` and logged: its
    later tokens are neither trained on nor scored). ValueError for an empty corpus
    or a document that encodes to fewer than 2 tokens."""
    if not docs:
        raise ValueError("the corpus is empty: no document to encode")
    if context < 2:
        raise ValueError(f"context must be at least 2 tokens, got {context}")
    rows = [tokenizer.encode(d) for d in docs]
    short = [i for i, r in enumerate(rows) if len(r) < 2]
    if short:
        raise ValueError(f"documents {short[:5]} encode to fewer than 2 tokens: nothing to score")
    lengths = np.array([min(len(r), context) for r in rows], dtype=np.int64)
    truncated = int(sum(len(r) > context for r in rows))
    if truncated:
        log.warning(
            "%d of %d documents cut to the context of %d tokens", truncated, len(rows), context
        )
    ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : lengths[i]] = r[: lengths[i]]
    return Encoded(ids, lengths, truncated)


class TinyCausalLM(nn.Module):
    """A small decoder-only transformer (pre-norm layers, learned positions, tied
    input and output embeddings): ``(b, t)`` ids -> ``(b, t, vocab)`` logits."""

    def __init__(
        self, vocab: int = 257, context: int = 128, dim: int = 64, layers: int = 2, heads: int = 4
    ):
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(context, dim)
        block = nn.TransformerEncoderLayer(
            dim, heads, 4 * dim, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        for emb in (self.embed, self.pos):  # small: the tied output starts near uniform
            nn.init.normal_(emb.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        t = ids.shape[1]
        h = self.embed(ids) + self.pos(torch.arange(t, device=ids.device))
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=ids.device)
        h = self.norm(self.blocks(h, mask=mask, is_causal=True))
        return h @ self.embed.weight.T


def _batch(enc: Encoded, rows: np.ndarray, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids ``(b, l)`` cut to the batch's longest document, and the mask ``(b, l - 1)``
    of positions with a next token to predict."""
    width = int(enc.lengths[rows].max())
    ids = torch.as_tensor(enc.ids[rows, :width], device=device)
    lengths = torch.as_tensor(enc.lengths[rows], device=device)
    mask = torch.arange(1, width, device=device)[None, :] < lengths[:, None]
    return ids, mask


def fine_tune(
    model: nn.Module,
    enc: Encoded,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    weight_decay: float = 0.0,
    parameters: Callable[[nn.Module], list] | None = None,
) -> list[float]:
    """Train ``model`` in place on every document of ``enc`` (next-token cross-entropy
    over the real tokens; AdamW, constant ``lr``); the mean loss per epoch. Only
    ``parameters(model)`` train when given (e.g. LoRA's); the batch order comes from
    ``seed``."""
    device = next(model.parameters()).device
    params = parameters(model) if parameters else [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    gen = torch_generator(seed)
    n = len(enc.lengths)
    losses = []
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=gen).numpy()
        total, count = 0.0, 0
        for start in range(0, n, batch_size):
            ids, mask = _batch(enc, order[start : start + batch_size], device)
            logits = model(ids[:, :-1])
            loss = F.cross_entropy(logits[mask], ids[:, 1:][mask])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + float(loss.detach()) * int(mask.sum()), count + int(mask.sum())
        if not math.isfinite(total):
            raise FloatingPointError(f"fine-tuning diverged in epoch {epoch + 1}; lower lr ({lr})")
        losses.append(total / count)
        log.info("lm epoch %d/%d loss %.4f", epoch + 1, epochs, losses[-1])
    return losses


def next_token_moments(log_probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of log p(v) for v drawn from p itself, per position:
    ``log_probs`` ``(..., vocab)`` (a log-softmax) -> two ``(...)`` tensors."""
    p = log_probs.exp()
    mu = (p * log_probs).sum(-1)
    return mu, ((p * log_probs * log_probs).sum(-1) - mu * mu).clamp_min(0.0)


@torch.no_grad()
def token_scores(model: nn.Module, enc: Encoded, batch_size: int = 16) -> dict[str, np.ndarray]:
    """Per predicted token, documents in order and positions ascending: ``doc``,
    ``position`` (1 .. length - 1: the index of the predicted token), ``logp``,
    ``mu``, ``var`` - each ``(sum(lengths - 1),)``. float64 sums over float32 logits."""
    device = next(model.parameters()).device
    model.eval()
    out: dict[str, list] = {k: [] for k in ("doc", "position", "logp", "mu", "var")}
    for start in range(0, len(enc.lengths), batch_size):
        rows = np.arange(start, min(start + batch_size, len(enc.lengths)))
        ids, mask = _batch(enc, rows, device)
        lp = torch.log_softmax(model(ids[:, :-1]).double(), dim=-1)
        mu, var = next_token_moments(lp)
        logp = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
        pos = torch.arange(1, ids.shape[1], device=device).expand_as(mask)
        docs = torch.as_tensor(rows, device=device)[:, None].expand_as(mask)
        for key, value in zip(out, (docs, pos, logp, mu, var), strict=True):
            out[key].append(value[mask].cpu().numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def new_lm(cfg: dict) -> TinyCausalLM:
    """The model a ``language_models.<name>.model`` section describes (``arch: tiny``)."""
    if cfg.get("arch", "tiny") != "tiny":
        raise ValueError(f"model.arch: {cfg['arch']!r} is not a known language model")
    keys = ("context", "dim", "layers", "heads")
    return TinyCausalLM(vocab=ByteTokenizer.vocab_size, **{k: cfg[k] for k in keys if k in cfg})


def save_lm(model: nn.Module, cfg: dict, path) -> None:
    """Atomically write ``model``'s weights and its config section."""
    save_payload({"cfg": dict(cfg), "state_dict": portable_state(model)}, path)


def load_lm(path) -> tuple[TinyCausalLM, dict]:
    """The model :func:`save_lm` wrote, and its config section."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = new_lm(payload["cfg"])
    model.load_state_dict(payload["state_dict"])
    return model, payload["cfg"]
