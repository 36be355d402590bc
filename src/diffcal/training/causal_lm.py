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

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", "ignore")


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


def scored_texts(docs: Sequence[str], tokenizer, context: int) -> list[str]:
    """What a model with ``context`` tokens scores of each document (what the zlib
    attack compresses): the document itself, or for one cut to the context the
    decoded text of the tokens it keeps."""
    out = []
    for doc in docs:
        ids = tokenizer.encode(doc)
        out.append(doc if len(ids) <= context else tokenizer.decode(ids[1:context]))
    return out


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


def length_batches(
    lengths: np.ndarray, batch_size: int, gen: torch.Generator, pool: int = 16
) -> list[np.ndarray]:
    """One epoch's batches: a random order, cut into pools of ``pool`` batches whose
    documents are sorted by length before they are cut into batches, the batches
    then shuffled. Documents of a batch have similar lengths, so little of a batch
    is padding (a batch is as wide as its longest document)."""
    order = torch.randperm(len(lengths), generator=gen).numpy()
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = order[start : start + batch_size * pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]


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
    ``parameters(model)`` train when given, else those that require a gradient;
    the batches (:func:`length_batches`) come from ``seed``."""
    device = next(model.parameters()).device
    params = parameters(model) if parameters else [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    gen = torch_generator(seed)
    losses = []
    model.train()
    for epoch in range(epochs):
        total, count = 0.0, 0
        for rows in length_batches(enc.lengths, batch_size, gen):
            ids, mask = _batch(enc, rows, device)
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
    ``position`` (1 .. length - 1: the index of the predicted token), ``token`` (its
    id), ``logp``, ``mu``, ``var`` - each ``(sum(lengths - 1),)``. float64 sums over
    float32 logits."""
    device = next(model.parameters()).device
    model.eval()
    keys = ("doc", "position", "token", "logp", "mu", "var")
    out: dict[str, list] = {k: [] for k in keys}
    by_length = np.argsort(enc.lengths, kind="stable")  # little padding per batch
    for start in range(0, len(by_length), batch_size):
        rows = np.sort(by_length[start : start + batch_size])
        ids, mask = _batch(enc, rows, device)
        lp = torch.log_softmax(model(ids[:, :-1])[mask].double(), dim=-1)  # real tokens only
        mu, var = next_token_moments(lp)
        token = ids[:, 1:][mask]
        logp = lp.gather(-1, token[:, None]).squeeze(-1)
        pos = torch.arange(1, ids.shape[1], device=device).expand_as(mask)[mask]
        docs = torch.as_tensor(rows, device=device)[:, None].expand_as(mask)[mask]
        for key, value in zip(keys, (docs, pos, token, logp, mu, var), strict=True):
            out[key].append(value.cpu().numpy())
    cat = {k: np.concatenate(v) for k, v in out.items()}
    order = np.lexsort((cat["position"], cat["doc"]))
    return {k: v[order] for k, v in cat.items()}


def new_lm(cfg: dict) -> nn.Module:
    """The model a ``language_models.<name>.model`` section describes: ``arch: tiny``
    a new :class:`TinyCausalLM`, ``arch: pretrained`` the frozen model at ``source``
    (:mod:`diffcal.training.pretrained_lm`, the ``lm`` extra)."""
    arch = cfg.get("arch", "tiny")
    if arch == "pretrained":
        from diffcal.training.pretrained_lm import load_pretrained

        return load_pretrained(cfg["source"], cfg["context"])
    if arch != "tiny":
        raise ValueError(f"model.arch: {arch!r} is not a known language model")
    keys = ("context", "dim", "layers", "heads")
    return TinyCausalLM(vocab=ByteTokenizer.vocab_size, **{k: cfg[k] for k in keys if k in cfg})


def new_tokenizer(cfg: dict):
    """The tokenizer of the model ``cfg`` describes (see :func:`new_lm`)."""
    if cfg.get("arch", "tiny") == "pretrained":
        from diffcal.training.pretrained_lm import load_tokenizer

        return load_tokenizer(cfg["source"])
    return ByteTokenizer()


def ready_to_train(model: nn.Module, cfg: dict, seed: int) -> None:
    """Make the weights that fine-tuning changes trainable: a tiny model's all; a
    pretrained model's LoRA adapters when ``cfg['lora']`` is set (added from
    ``seed`` unless the model has them already: a further fine-tuning goes on with
    the same adapters), else all its weights."""
    if cfg.get("arch", "tiny") != "pretrained":
        return
    lora = cfg.get("lora")
    if lora is None:
        model.requires_grad_(True)
    elif not any(".lora_" in k for k, _ in model.named_parameters()):
        from diffcal.training.pretrained_lm import add_lora

        log.info("LoRA on %d layers", add_lora(model, lora, seed))


def _trained_state(model: nn.Module | None, cfg: dict) -> dict:
    """What a model file keeps: a tiny model's every weight; a pretrained one's
    trainable weights only (its frozen ones come from ``source``; none for
    ``model`` None, the pretrained model as it is)."""
    if model is None:
        return {}
    if cfg.get("arch", "tiny") != "pretrained":
        return portable_state(model)
    trained = {k for k, p in model.named_parameters() if p.requires_grad}
    return {k: v for k, v in portable_state(model).items() if k in trained}


def save_lm(model: nn.Module | None, cfg: dict, path) -> None:
    """Atomically write ``model``'s weights (:func:`_trained_state`) and its config
    section."""
    save_payload({"cfg": dict(cfg), "state_dict": _trained_state(model, cfg)}, path)


def load_lm(path) -> tuple[nn.Module, dict]:
    """The model :func:`save_lm` wrote, and its config section."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    cfg, state = payload["cfg"], payload["state_dict"]
    model = new_lm(cfg)
    if cfg.get("arch", "tiny") != "pretrained":
        model.load_state_dict(state)
        return model, cfg
    if any(".lora_" in k for k in state):
        ready_to_train(model, cfg, seed=0)  # the adapters' values come from the file
    elif state:
        model.requires_grad_(True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise ValueError(f"{path}: weights {unexpected[:3]} are not in the model")
    return model, cfg
