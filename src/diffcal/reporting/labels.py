"""Display names of the attack columns, shared by the tables, figures and claims:
the registry's labels (:mod:`diffcal.attacks.registry`)."""

from __future__ import annotations

from diffcal.attacks.registry import CAL_LABELS, REGISTRY, SCORE_LABELS

__all__ = ["CAL_LABELS", "SCORE_LABELS", "column_label"]


def column_label(attack: str) -> str:
    """``loss_calf`` -> ``Loss Cal-F``; ``gap`` -> ``Gap``; ``lira_online`` ->
    ``LiRA online``; a name the registry lacks (a plugin) is its own label.

    >>> column_label("loss_calf"), column_label("rmia_offline"), column_label("mine")
    ('Loss Cal-F', 'RMIA offline', 'mine')
    """
    return REGISTRY[attack].label if attack in REGISTRY else attack
