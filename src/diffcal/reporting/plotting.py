"""Plot set-up and saving shared by every figure stage: one theme, byte-stable files."""

from __future__ import annotations

import os

from diffcal.core.io import atomic_path


def savefig(fig, png: str, pdf: str) -> None:
    """Save without timestamps or software versions, so the bytes are stable."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
    with atomic_path(pdf) as tmp:
        fig.savefig(
            tmp,
            format="pdf",
            metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
        )


def pyplot(*, theme: bool = True):
    """matplotlib's pyplot on the non-interactive Agg backend; ``theme``: seaborn's
    whitegrid / paper theme, which every figure but the comparison's log-log ROC uses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    if theme:
        sns.set_theme(style="whitegrid", context="paper")
    return plt
