"""Display names of the attack columns, shared by the tables, figures and claims."""

from __future__ import annotations

SCORE_LABELS = {"loss": "Loss", "gn": "GN", "confidence": "Conf", "boundary": "Boundary"}
CAL_LABELS = {"orig": "Orig", "cal": "Cal", "calf": "Cal-F"}


def column_label(attack: str) -> str:
    """``loss_calf`` -> ``Loss Cal-F``; ``gap`` -> ``Gap``."""
    if attack == "gap":
        return "Gap"
    score, _, cal = attack.partition("_")
    return f"{SCORE_LABELS.get(score, score)} {CAL_LABELS.get(cal, cal)}"
