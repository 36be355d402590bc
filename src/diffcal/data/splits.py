"""Data splits (paper section 4.1) and reference training subsets.

For one split index ``t`` of a dataset, every sample gets exactly one role:

- ``member``: private, in the target's training set;
- ``nonmember``: private, held out from the target;
- ``reference``: public, the pool that reference models train on (scratch
  references train on subsets of it; forgetting references fine-tune on it);
- ``shadow_in`` / ``shadow_out``: public, held out from every reference model and
  used only for threshold selection: a shadow target trained on ``shadow_in``
  is attacked on ``shadow_in`` (members) vs ``shadow_out`` (non-members).

The split is a random permutation drawn from one seed; it is written once and every
model reads its own training rows from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from diffcal.core.seeds import derive_seed, numpy_rng

if TYPE_CHECKING:  # the config check draws splits while Snakemake parses: no pandas there
    import pandas as pd

ROLES: tuple[str, ...] = ("member", "nonmember", "reference", "shadow_in", "shadow_out")


def split_roles(
    n: int,
    *,
    seed: int,
    private_fraction: float = 0.5,
    member_fraction: float = 0.5,
    reference_fraction: float = 0.5,
    train_size: int | None = None,
    members: np.ndarray | None = None,
) -> pd.DataFrame:
    """Assign a role to each of ``n`` samples.

    Args:
        n: number of samples (ids ``0..n-1``).
        seed: seed of the permutation.
        private_fraction: share of samples that are private.
        member_fraction: share of the private samples that are members; the rest
            are non-members.
        reference_fraction: share of the public samples in the reference pool; the
            rest is split in half into ``shadow_in`` / ``shadow_out``.
        train_size: if set, at most this many samples in each role (Figure 3's
            training-set sizes: the shadow and the references train on as many
            samples as the target); the samples left out get role ``unused``.
        members: the target's members when the target is given (a checkpoint):
            these ids are the members, and the other roles are drawn from the other
            rows in permutation order, with ``round(n * private_fraction) -
            len(members)`` non-members (``member_fraction`` is not used). For the
            members :func:`make_split` itself would draw, the split is the same.

    Returns:
        ``(n,)`` object array: the role of sample ``i`` at ``i``.
    """
    fractions = {"private": private_fraction, "member": member_fraction}
    for name, f in {**fractions, "reference": reference_fraction}.items():
        if not 0.0 < f < 1.0:
            raise ValueError(f"{name}_fraction must lie strictly between 0 and 1, got {f}")
    perm = numpy_rng(seed).permutation(n)
    n_private = int(round(n * private_fraction))
    n_member = int(round(n_private * member_fraction))
    if members is not None:
        if train_size is not None:
            raise ValueError("train_size cannot be combined with a given target's members")
        perm, n_member = _members_first(perm, members, n_private, private_fraction)
    n_public = n - n_private
    n_reference = int(round(n_public * reference_fraction))
    n_shadow_in = (n_public - n_reference) // 2
    bounds = np.cumsum([n_member, n_private - n_member, n_reference, n_shadow_in])
    parts = np.split(perm, bounds)
    roles = np.empty(n, dtype=object)
    for role, idx in zip(ROLES, parts, strict=True):
        roles[idx] = role
    if train_size is not None:
        for role, idx in zip(ROLES, parts, strict=True):
            if role in ("member", "nonmember") and train_size > len(idx):
                raise ValueError(f"train_size={train_size} exceeds the {len(idx)} {role}s")
            roles[idx[train_size:]] = "unused"
    sizes = {r: int(np.sum(roles == r)) for r in ROLES}
    if min(sizes.values()) < 2:
        raise ValueError(f"dataset of {n} samples is too small for this split: {sizes}")
    return roles


def _members_first(perm, members, n_private: int, private_fraction: float):
    """``perm`` with the given ``members`` first (the rest in permutation order),
    and their number."""
    n = len(perm)
    members = np.asarray(members, dtype=np.int64)
    if len(members) and (members.min() < 0 or members.max() >= n):
        raise ValueError(f"member ids must lie in 0..{n - 1}")
    n_member = len(members)
    if n_private - n_member < 2:
        raise ValueError(
            f"{n_member} members leave {n_private - n_member} non-members at "
            f"private_fraction {private_fraction} of {n} rows: raise split.private_fraction"
        )
    is_member = np.zeros(n, dtype=bool)
    is_member[members] = True
    return np.concatenate([members, perm[~is_member[perm]]]), n_member


def make_split(n: int, *, seed: int, **kwargs) -> pd.DataFrame:
    """:func:`split_roles` as a frame: columns ``sample_id`` (int32, sorted) and
    ``role`` (str)."""
    import pandas as pd

    roles = split_roles(n, seed=seed, **kwargs)
    return pd.DataFrame(
        {"sample_id": np.arange(n, dtype=np.int32), "role": pd.array(roles, dtype="string")}
    )


def split_of(
    n: int, *, root_seed: int, dataset: str, split_index: int, **fractions
) -> pd.DataFrame:
    """Split ``split_index`` of ``dataset`` (its seed key): :func:`make_split` with the
    seed ``derive_seed(root_seed, dataset, split_index, "split")``. The workflow's
    ``split`` rule and :mod:`diffcal.config.recipe_search` both draw their splits here."""
    seed = derive_seed(root_seed, dataset, split_index, "split")
    return make_split(n, seed=seed, **fractions)


def ids_with_role(split: pd.DataFrame, *roles: str) -> np.ndarray:
    """Sorted sample ids (int64) whose role is one of ``roles``."""
    mask = split["role"].isin(roles).to_numpy()
    return split["sample_id"].to_numpy()[mask].astype(np.int64)


def subsample(ids: np.ndarray, size: int, *, seed: int) -> np.ndarray:
    """``size`` ids drawn without replacement from ``ids``, sorted."""
    if size > len(ids):
        raise ValueError(f"cannot draw {size} samples from a pool of {len(ids)}")
    if size == len(ids):
        return np.sort(ids)
    return np.sort(numpy_rng(seed).choice(ids, size=size, replace=False))


def read_splits(path) -> dict[int, pd.DataFrame]:
    """The splits of a part's ``split.parquet`` (see ``diffcal.stages.split``):
    split index -> frame with ``sample_id`` and ``role``, in split order."""
    import pandas as pd

    df = pd.read_parquet(path)
    return {
        int(t): g.drop(columns="split").reset_index(drop=True)
        for t, g in df.groupby("split", sort=True)
    }


def part_label(splits: Sequence[int]) -> str:
    """``"3"`` for split 3 alone, ``"0-4"`` for splits 0..4 (consecutive)."""
    splits = list(splits)
    if not splits or splits != list(range(splits[0], splits[0] + len(splits))):
        raise ValueError(f"a part is a non-empty run of consecutive splits, got {splits}")
    return str(splits[0]) if len(splits) == 1 else f"{splits[0]}-{splits[-1]}"


def part_splits(label: str) -> list[int]:
    """Inverse of :func:`part_label`: ``"0-4"`` -> ``[0, 1, 2, 3, 4]``."""
    first, _, last = label.partition("-")
    return list(range(int(first), int(last or first) + 1))
