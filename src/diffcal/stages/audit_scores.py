"""Stage ``audit_scores``: an audit of your scores (``audits.<name>.scores``) ->
the audit's scores.parquet and attack_scores.parquet, in the pipeline's schemas
(one split, 0), read by :mod:`diffcal.stages.audit_report` like a dataset's.

scores.parquet here: ``split``, ``model`` (``target`` or ``scratch``: your
references play the scratch references' part), ``ref``, ``sample_id`` (your ids),
``correct`` (nullable bool: NA when your file has no ``correct`` column), ``loss``.
attack_scores.parquet: ``split``, ``set`` (``eval``), ``sample_id``, ``role``,
``is_member`` and one column per attack of :func:`diffcal.attacks.audit.score_attacks`.
No torch: any model family's losses work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from diffcal.attacks.audit import score_attacks
from diffcal.attacks.plugins import load_plugins, outputs_frames, run_plugin
from diffcal.core.io import parquet_stream, write_parquet
from diffcal.data.members import read_members
from diffcal.data.user_scores import UserScores, load_user_scores

log = logging.getLogger("diffcal")


def run_audit_scores(
    *,
    target: str,
    references: Sequence[str],
    members: str,
    out_scores: str,
    out_attack_scores: str,
    extra: Sequence[str] = (),
) -> None:
    """``extra``: the attack plugins (``attack.extra``), scored after the
    registry's attacks on the same losses."""
    plugins = load_plugins(extra)
    u = load_user_scores(target, list(references), read_members(members), members)
    log.info(
        "%d members, %d non-members, %d population samples, %d references (%d with IN samples)",
        int(u.is_member.sum()),
        int((~u.population & ~u.is_member).sum()),
        int(u.population.sum()),
        len(u.ref_loss),
        int(u.is_in.any(axis=1).sum()),
    )
    pop = {
        "target_loss_pop": u.target_loss[u.population],
        "ref_loss_pop": u.ref_loss[:, u.population],
    }
    u = _evaluated(u)  # members and non-members: the (m, n) losses once in memory
    att = score_attacks(u.target_loss, u.ref_loss, u.is_in, **pop)
    del pop
    ids, is_member = u.sample_id, u.is_member
    att.update(_plugin_scores(plugins, u))
    log.info("attacks: %s", ", ".join(att))
    frame = pd.DataFrame(
        {
            "split": np.zeros(len(ids), np.int16),
            "set": pd.array(["eval"] * len(ids), dtype="string"),
            "sample_id": ids,
            "role": pd.array(np.where(is_member, "member", "nonmember"), dtype="string"),
            "is_member": is_member,
            **att,
        }
    )
    write_parquet(frame, out_attack_scores)
    correct = (
        pd.array([pd.NA] * len(ids), dtype="boolean")
        if u.correct is None
        else pd.array(u.correct, dtype="boolean")
    )
    # one row group per model: memory holds one model's rows, not the file's
    with parquet_stream(out_scores) as out:
        out.write(_model_rows("target", 0, ids, u.target_loss, correct))
        no_correct = pd.array([pd.NA] * len(ids), dtype="boolean")
        for k, loss in enumerate(u.ref_loss):
            out.write(_model_rows("scratch", k, ids, loss, no_correct))


def _evaluated(u: UserScores) -> UserScores:
    """``u`` without its population rows."""
    ev = ~u.population
    return replace(
        u,
        sample_id=u.sample_id[ev],
        target_loss=u.target_loss[ev],
        ref_loss=u.ref_loss[:, ev],
        is_in=u.is_in[:, ev],
        is_member=u.is_member[ev],
        population=np.zeros(int(ev.sum()), bool),
        correct=None if u.correct is None else u.correct[ev],
    )


def _plugin_scores(plugins, u: UserScores) -> dict[str, np.ndarray]:
    """The plugins' scores on the evaluated samples of the user's scores ``u``
    (population rows removed): the target's losses and correctness (NA when the
    file has none), the references' losses with their IN flags."""
    if not plugins:
        return {}
    known = u.correct is not None
    frames = outputs_frames(
        u.sample_id,
        {
            "loss": u.target_loss,
            "correct": pd.array(u.correct if known else [pd.NA] * len(u.sample_id), "boolean"),
        },
        {"scratch": ({"loss": u.ref_loss}, u.is_in)},
    )
    return {p.name: run_plugin(p, *frames) for p in plugins}


def _model_rows(model: str, ref: int, ids, loss, correct) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "split": np.zeros(len(ids), np.int16),
            "model": pd.array([model] * len(ids), dtype="string"),
            "ref": np.full(len(ids), ref, np.int16),
            "sample_id": ids,
            "correct": correct,
            "loss": loss,
        }
    )
