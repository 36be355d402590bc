"""An audit of scores from arrays, in a notebook (``diffcal.audit``): the same
attacks, intervals, seeds and report as the workflow's audit of score files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diffcal.attacks.audit import score_attacks
from diffcal.core.seeds import derive_seed
from diffcal.reporting.audit import AuditResult, AuditSplit, compute_audit


def audit(
    target_loss,
    reference_losses,
    is_member,
    *,
    sample_id=None,
    is_in=None,
    population=None,
    correct=None,
    fpr_levels: Sequence[float] = (0.01, 0.001),
    name: str = "audit",
    root_seed: int = 20220425,
    n_boot: int = 1000,
    bound: Mapping[str, Any] | None = None,
) -> AuditResult:
    """An audit of scores from arrays, in a notebook: the workflow's audit of
    ``audits.<name>.scores`` (same attacks, intervals, seeds and report).

    Args:
        target_loss: ``(n,)`` the target's cross-entropy on every sample.
        reference_losses: ``(m, n)`` each reference model's on the same samples.
        is_member: ``(n,)`` bool, the target trained on the sample.
        sample_id: ``(n,)`` ints naming the samples (default ``0..n-1``).
        is_in: ``(m, n)`` bool, reference j trained on sample i (default: none did).
        population: ``(n,)`` bool, samples only RMIA uses (not audited).
        correct: ``(n,)`` bool, the target classifies the sample correctly.
        name, root_seed: the seeds of the intervals, as the workflow derives them
            for ``audits.<name>`` with that ``root_seed`` (default: the config's).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> hard = rng.exponential(size=400)
    >>> member = rng.random(400) < 0.5
    >>> result = audit(hard * np.where(member, 0.3, 1.0), hard * rng.uniform(0.8, 1.2, (4, 400)),
    ...                member, n_boot=100)
    >>> auc = result.metrics.set_index(["attack", "metric"])["value"]
    >>> bool(auc["loss_cal", "auc"] > auc["loss_orig", "auc"] > 0.5)
    True
    """
    t = np.asarray(target_loss, np.float64)
    n = len(t)
    ids = np.arange(n) if sample_id is None else np.asarray(sample_id, np.int64)
    order = np.argsort(ids, kind="stable")
    r = np.asarray(reference_losses, np.float64)[:, order]
    inn = np.zeros(r.shape, bool) if is_in is None else np.asarray(is_in, bool)[:, order]
    pop = np.zeros(n, bool) if population is None else np.asarray(population, bool)[order]
    t, ids, member = t[order], ids[order], np.asarray(is_member, bool)[order]
    ev = ~pop
    att = score_attacks(t[ev], r[:, ev], inn[:, ev], target_loss_pop=t[pop], ref_loss_pop=r[:, pop])
    acc = (np.nan, np.nan)
    if correct is not None:
        c = np.asarray(correct, bool)[order][ev]
        acc = (float(c[member[ev]].mean()), float(c[~member[ev]].mean()))
    split = AuditSplit(ids[ev], member[ev], att, acc, len(r))
    seeds = [derive_seed(root_seed, "audit", name, 0)]
    return compute_audit([split], fpr_levels, seeds=seeds, n_boot=n_boot, bound=bound)
