"""One CSV of the recipe searches' candidates, for the docs' value markers.

`python -m diffcal.config.recipe_search` prints its closest candidates as a text
table; the copies under docs/reproduction/recipe_search/<name>/<row>.txt keep them.
Run: python docs/checks/recipe_search_csv.py docs/reproduction/recipe_search/table1_targets
(writes candidates.csv there: the row's file name, the rank, then the printed columns).
"""

import sys
from pathlib import Path

import pandas as pd


def candidates(folder: Path) -> pd.DataFrame:
    """Every candidate of every ``*.txt`` of ``folder``, ranked as printed (0 = closest)."""
    frames = []
    for f in sorted(folder.glob("*.txt")):
        t = pd.read_csv(f, sep=r"\s+")
        frames.append(t.assign(row=f.stem, rank=range(len(t)))[["row", "rank", *t.columns]])
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    from diffcal.core.io import write_csv

    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    write_csv(candidates(folder), folder / "candidates.csv")
