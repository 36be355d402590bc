"""Config checks of the files an audit brings (a given target's checkpoint and
members, an audit's score files): read now, so a mistake is one line naming the key
before any job (:mod:`diffcal.config.checks` calls these)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.config.errors import fail, require
from diffcal.data.registry import SOURCE_SIZES


def known_size(ds: Mapping[str, Any]) -> int | None:
    """The dataset's number of rows when the config alone tells it (a built-in source
    without options), else None (checked when the split is drawn)."""
    return None if ds.get("source_kwargs") else SOURCE_SIZES.get(ds["source"])


def check_audits(config: Mapping[str, Any]) -> None:
    """Each audit of scores: its files read and matched (ids, members) now, so a
    mistake is one line before any job; its name not a dataset's."""
    audits = config.get("audits") or {}
    if not audits:
        return
    # Imported only for a config with audits: parsing any other stays free of pandas.
    from diffcal.data.members import read_members
    from diffcal.data.user_scores import load_user_scores

    for name, audit in audits.items():
        key = f"audits.{name}"
        require(
            name not in (config.get("datasets") or {}),
            key,
            f"a dataset is named {name!r} too; both would write results/audit/{name}/",
        )
        sc = audit["scores"]
        try:
            load_user_scores(
                sc["target"], sc["references"], read_members(sc["members"]), sc["members"]
            )
        except ValueError as e:
            fail(f"{key}.scores", e)


def check_given_target(name: str, ds: Mapping[str, Any]) -> None:
    """A dataset's `target` (a checkpoint and its members): the files read safely,
    the ids are unique and, where the source's size is known, in range; variants
    that retrain the target (DP, a training size) are refused."""
    # Imported here, not at the top: torch and pandas only for a given target.
    from diffcal.data.members import check_members_range, read_members
    from diffcal.training.checkpoint import load_checkpoint

    key = f"datasets.{name}.target"
    members = ds["target"].get("members")
    if not members:  # then a column of the table says which rows are members
        require(
            ds["source"] == "table" and ds.get("source_kwargs", {}).get("member_column"),
            f"{key}.members",
            "give the target's members file, or a table source's member_column",
        )
    if members:
        try:
            ids, n = read_members(members), known_size(ds)
            if n is not None:
                check_members_range(ids, n, members)
        except ValueError as e:
            fail(f"{key}.members", e)
    try:
        load_checkpoint(ds["target"]["checkpoint"], mmap=True)
    except ValueError as e:
        fail(f"{key}.checkpoint", e)
    for vname, var in ds["variants"].items():
        for k in ("dp", "train_size"):
            require(
                var.get(k) is None,
                f"datasets.{name}.variants.{vname}.{k}",
                f"retrains the target, which is given (datasets.{name}.target)",
            )


def check_plugins(refs) -> None:
    """Every attack plugin imports and names a function; its name is free."""
    if not refs:
        return
    from diffcal.attacks.plugins import free_name
    from diffcal.core.user_code import load_callable

    names: list[str] = []
    for i, ref in enumerate(refs):
        try:
            names.append(free_name(ref, names, repr(ref)))
            load_callable(ref, repr(ref))
        except ValueError as e:
            fail(f"attack.extra.{i}", e)
