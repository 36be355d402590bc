"""Deterministic seeds derived from (root seed, role, index, ...).

Every model, split and data subset gets its own seed, derived by hashing the root
seed together with a path of names. Hashing (rather than ``root + index``) keeps
seeds of different roles independent and stable when new roles are added.
"""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(root_seed: int, *parts: object) -> int:
    """Return a 63-bit seed for ``parts`` under ``root_seed``.

    >>> derive_seed(0, "credit", 1, "target") == derive_seed(0, "credit", 1, "target")
    True
    >>> derive_seed(0, "credit", 1, "target") != derive_seed(0, "credit", 1, "scratch", 0)
    True
    """
    key = "/".join([str(int(root_seed)), *(str(p) for p in parts)])
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def numpy_rng(seed: int) -> np.random.Generator:
    """A numpy Generator for ``seed`` (PCG64)."""
    return np.random.default_rng(seed)


def torch_generator(seed: int):
    """A CPU torch Generator seeded with ``seed``. (torch is imported here, not at
    module level: the split, attack and report jobs use this module and should not
    pay torch's 2-3 s import.)"""
    import torch

    g = torch.Generator(device="cpu")
    g.manual_seed(seed)
    return g
