"""Every attack of diffcal, one record each: its name, display label, what it
needs, and its function. The paper's attacks (:mod:`diffcal.attacks.evaluate`),
the comparison (:mod:`diffcal.attacks.compare`), the audit of scores
(:mod:`diffcal.attacks.audit`), the tables' labels and the config schema's lists
all read this module; an attack added here (one record) appears in each suite
that names it.

Two function signatures, by suite:

- ``paper``: ``fn(target, scratch, forget) -> (n,)``, each argument a dict of
  model outputs (``loss``, ``grad_norm``, ``max_log_prob``, ``correct``, or the
  label-only ``distance``: ``(1, n)``
  for the target, ``(k, n)`` for the references; see
  :func:`diffcal.attacks.evaluate.model_outputs`).
- ``compare`` and ``audit``: ``pool_fn(o, *, a, gamma) -> (n,)`` with ``o`` a
  :class:`PoolOutputs` (the first M references; an audit
  builds one from losses). ``a``, ``gamma``: RMIA's parameters.

Higher score = more likely a member, in every suite's output: each suite passes
a record's scores through :func:`oriented`, which negates those of a record with
``higher_is_member=False`` (every record here has True).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from diffcal.attacks.calibration import (
    CALIBRATIONS,
    LABEL_ONLY,
    SCORES,
    boundary_score,
    calibrate,
    gap_score,
)
from diffcal.attacks.reference import (
    calibrated_loss,
    lira_official,
    lira_offline,
    lira_online,
    rmia,
    rmia_marginal,
)


@dataclass(frozen=True)
class PoolOutputs:
    """Outputs of one split: ``n`` candidates, ``m`` references, ``k`` population
    samples. Losses are cross-entropies; ``*_stat`` LiRA's logit-scaled
    confidence; ``is_in`` ``(m, n)`` the pool's membership."""

    target_loss: np.ndarray  # (n,)
    target_stat: np.ndarray  # (n,)
    ref_loss: np.ndarray  # (m, n)
    ref_stat: np.ndarray  # (m, n)
    is_in: np.ndarray  # (m, n) bool
    target_loss_pop: np.ndarray  # (k,)
    ref_loss_pop: np.ndarray  # (m, k)

    def first(self, m: int) -> PoolOutputs:
        """The outputs with the first ``m`` references only (a budget of ``m``)."""
        if not 1 <= m <= len(self.ref_loss):
            raise ValueError(f"budget {m} outside 1..{len(self.ref_loss)}")
        return PoolOutputs(
            self.target_loss,
            self.target_stat,
            self.ref_loss[:m],
            self.ref_stat[:m],
            self.is_in[:m],
            self.target_loss_pop,
            self.ref_loss_pop[:m],
        )


#: What an attack needs besides the target's per-sample outputs.
NEEDS = {
    "target": "the target's outputs only",
    "references": "reference models that never trained on the samples (OUT)",
    "references_in_out": "reference models with the samples' membership in each (IN and OUT)",
    "population": "the target's and references' outputs on population samples too",
    "label_only": "decision-boundary distances of the target and references (HopSkipJump)",
    "regressor": "a quantile regressor trained on public non-members (its own stage)",
}
SUITES = ("paper", "compare", "audit")


@dataclass(frozen=True)
class AttackSpec:
    """One attack. ``fn`` is None where a stage of its own computes the scores
    (label-only distances, the quantile regressor)."""

    name: str
    label: str
    needs: str
    suites: tuple[str, ...]
    #: paper signature ``fn(target, scratch, forget)``
    fn: Callable[..., np.ndarray] | None = None
    #: pool signature ``pool_fn(o, *, a, gamma)`` (comparison and audit)
    pool_fn: Callable[..., np.ndarray] | None = None
    higher_is_member: bool = True
    #: smallest number of references the attack runs with (the audit checks it)
    min_references: int = 0
    #: needs IN references too (online RMIA; online LiRA says so by ``needs``)
    online: bool = False

    def __post_init__(self):
        if self.needs not in NEEDS:
            raise ValueError(f"{self.name}: needs {self.needs!r} not one of {sorted(NEEDS)}")
        if not set(self.suites) <= set(SUITES):
            raise ValueError(f"{self.name}: suites {self.suites} not within {SUITES}")


def oriented(spec: AttackSpec, scores: np.ndarray) -> np.ndarray:
    """``(n,)`` scores with higher = more likely a member."""
    s = np.asarray(scores, dtype=np.float64)
    return s if spec.higher_is_member else -s


#: Display names of the paper's scores and calibrations (tables: ``Loss Cal-F``).
SCORE_LABELS = {"loss": "Loss", "gn": "GN", "confidence": "Conf", LABEL_ONLY: "Boundary"}
CAL_LABELS = {"orig": "Orig", "cal": "Cal", "calf": "Cal-F"}


def _paper_attack(score: Callable[..., np.ndarray], cal: str) -> Callable[..., np.ndarray]:
    """Eqs. 1-3 and 5: the ``score`` of the target, minus the mean score of the
    scratch (``cal``) or forgetting (``calf``) references."""

    def fn(target, scratch, forget):
        s_target = score(target)[0]
        if cal == "orig":
            return s_target
        return calibrate(s_target, score({"cal": scratch, "calf": forget}[cal]))

    return fn


def _probs(loss: np.ndarray) -> np.ndarray:
    """``exp(-loss)`` in one new array (no temporary ``-loss`` beside it)."""
    p = np.negative(loss)
    return np.exp(p, out=p)


def _rmia(o: PoolOutputs, *, offline: bool, a: float, gamma: float) -> np.ndarray:
    px = rmia_marginal(_probs(o.ref_loss), o.is_in, a=a, offline=offline, missing="global")
    # No reference trained on a population sample: all are OUT for it, so its
    # Pr(z) is the OUT mean (with the offline correction when offline).
    pz = rmia_marginal(np.exp(-o.ref_loss_pop), None, a=a, offline=offline)
    return rmia(np.exp(-o.target_loss), px, np.exp(-o.target_loss_pop), pz, gamma=gamma)


def _lira(o: PoolOutputs, *, online: bool, global_variance: bool) -> np.ndarray:
    f = lira_online if online else lira_offline
    return f(o.target_stat, o.ref_stat, o.is_in, global_variance=global_variance, missing="global")


def _lira_official(o: PoolOutputs, *, online: bool, fix: bool) -> np.ndarray:
    return lira_official(
        o.target_stat, o.ref_stat, o.is_in, online=online, fix_variance=fix, missing="global"
    )


def _calibrated_loss(o: PoolOutputs, **_) -> np.ndarray:
    """Eq. 5 on the loss with each sample's OUT references; with no IN reference
    at all, exactly the paper pipeline's :func:`calibrate`."""
    if o.is_in.any():
        return calibrated_loss(o.target_loss, o.ref_loss, o.is_in, missing="global")
    return calibrate(-o.target_loss, -o.ref_loss)


#: LiRA variants: name -> (label, online, fixed variance, as its authors' code
#: computes it: median, population std, "fixed variance" as the code takes it,
#: offline two-sided; docs/comparison.md).
LIRA = {
    "lira_offline": ("LiRA offline", False, False, False),
    "lira_offline_global": ("LiRA offline, fixed var.", False, True, False),
    "lira_online": ("LiRA online", True, False, False),
    "lira_online_global": ("LiRA online, fixed var.", True, True, False),
    "lira_offline_official": ("LiRA offline (authors' code)", False, False, True),
    "lira_offline_official_global": ("LiRA offline, fixed var. (authors' code)", False, True, True),
    "lira_online_official": ("LiRA online (authors' code)", True, False, True),
    "lira_online_official_global": ("LiRA online, fixed var. (authors' code)", True, True, True),
}


#: The LiRA variants an audit runs too: per-sample and fixed (global) variance,
#: the latter the LiRA paper's advice with few references.
AUDIT_LIRA = {
    name: ("compare", "audit")
    for name in ("lira_offline", "lira_offline_global", "lira_online", "lira_online_global")
}


def _lira_fn(online: bool, fix: bool, official: bool) -> Callable[..., np.ndarray]:
    if official:
        return lambda o, **_: _lira_official(o, online=online, fix=fix)
    return lambda o, **_: _lira(o, online=online, global_variance=fix)


def _neg_loss(o: PoolOutputs, **_) -> np.ndarray:
    """Eq. 1 from the pool's losses: ``-loss``."""
    return -np.asarray(o.target_loss, dtype=np.float64)


def _paper_records() -> list[AttackSpec]:
    """The paper's attacks: gap, then every score x calibration, then label-only."""
    gap = lambda target, *_: gap_score(target["correct"][0])  # noqa: E731
    recs = [AttackSpec("gap", "Gap", "target", ("paper",), gap)]
    pool_fns = {"loss_orig": _neg_loss, "loss_cal": _calibrated_loss}
    for score in SCORES:
        for cal in CALIBRATIONS:
            name = f"{score}_{cal}"
            recs.append(
                AttackSpec(
                    name,
                    f"{SCORE_LABELS[score]} {CAL_LABELS[cal]}",
                    "target" if cal == "orig" else "references",
                    ("paper", "audit") if name in pool_fns else ("paper",),
                    _paper_attack(SCORES[score], cal),
                    pool_fn=pool_fns.get(name),
                )
            )
    return recs + [
        AttackSpec(
            f"{LABEL_ONLY}_{c}",
            f"Boundary {CAL_LABELS[c]}",
            "label_only",
            ("paper",),
            _paper_attack(boundary_score, c),
        )
        for c in CALIBRATIONS
    ]


def _pool_records() -> list[AttackSpec]:
    """The comparison's attacks (some also the audit's), in its table order."""
    # The comparison's names for the paper's loss attacks: the same functions.
    recs = [
        AttackSpec("loss", "Loss (no reference)", "target", ("compare",), pool_fn=_neg_loss),
        AttackSpec(
            "calibrated_loss",
            "Calibrated loss (this paper)",
            "references",
            ("compare",),
            pool_fn=_calibrated_loss,
        ),
    ]
    for name, (label, online, fix, official) in LIRA.items():
        recs.append(
            AttackSpec(
                name,
                label,
                "references_in_out" if online else "references",
                AUDIT_LIRA.get(name, ("compare",)),
                pool_fn=_lira_fn(online, fix, official),
                min_references=1 if online else 2,
            )
        )
    for name, offline in (("rmia_offline", True), ("rmia_online", False)):
        recs.append(
            AttackSpec(
                name,
                "RMIA offline" if offline else "RMIA online",
                "population",
                ("compare", "audit"),
                pool_fn=lambda o, a, gamma, offline=offline: _rmia(
                    o, offline=offline, a=a, gamma=gamma
                ),
                online=not offline,
            )
        )
    return recs + [
        AttackSpec("quantile", "Quantile regression (no reference)", "regressor", ("compare",))
    ]


def _records() -> list[AttackSpec]:
    return _paper_records() + _pool_records()


#: name -> record, in table order.
REGISTRY: dict[str, AttackSpec] = {r.name: r for r in _records()}


def suite(name: str) -> dict[str, AttackSpec]:
    """The records of one suite (``paper``, ``compare``, ``audit``), in order."""
    if name not in SUITES:
        raise ValueError(f"suite {name!r} not one of {SUITES}")
    return {k: r for k, r in REGISTRY.items() if name in r.suites}


def runs_on(spec: AttackSpec, o: PoolOutputs) -> bool:
    """Whether the references and samples of ``o`` give ``spec`` what it needs
    (an audit runs every attack of its suite that they allow)."""
    m = len(o.ref_loss)
    if spec.pool_fn is None or m < spec.min_references:
        return False
    if spec.needs in ("target", "references"):
        return True
    if spec.needs == "references_in_out":
        return bool(o.is_in.any() and (~o.is_in).any())
    if spec.needs == "population":
        return len(o.target_loss_pop) > 0 and (not spec.online or bool(o.is_in.any()))
    return False
