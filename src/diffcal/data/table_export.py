"""The encoding an audit of a ``table`` source feeds the target, exported so that a
target can be trained on exactly it (docs/audit.md, "The encoding contract").

    python -m diffcal.data.table_export mine.csv --label y --out encoded/

writes ``encoded/features.csv`` (``column``, ``name``: one row per feature column,
in order) and ``encoded/encoded.npz`` (``x`` float32 ``(n, d)``, ``y`` int64 ``(n,)``,
rows in file order): the arrays :func:`diffcal.data.registry.prepare` gives, the
same ones the workflow's prepare job writes to ``results/<dataset>/data.npz``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.core.io import write_csv
from diffcal.data.prepared import Prepared


def export(d: Prepared, out: str | Path) -> None:
    """Write ``d``'s feature names and arrays under ``out`` (module docstring)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = d.feature_names or tuple(f"x{j}" for j in range(d.x.shape[1]))
    write_csv(pd.DataFrame({"column": range(len(names)), "name": names}), out / "features.csv")
    np.savez(out / "encoded.npz", x=d.features(), y=d.y)


def main(argv: list[str] | None = None) -> None:
    from diffcal.data.registry import prepare

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", help="the table (CSV, TSV or Parquet)")
    ap.add_argument("--label", default="label", help="the label column")
    ap.add_argument("--encoding", default="onehot", choices=["onehot", "none"])
    ap.add_argument("--categorical", nargs="*", default=None, help="columns to one-hot")
    ap.add_argument("--drop", nargs="*", default=[], help="columns to leave out")
    ap.add_argument("--id", default=None, help="the record-id column (kept apart)")
    ap.add_argument("--out", required=True, help="directory for features.csv, encoded.npz")
    args = ap.parse_args(argv)
    kwargs = {"label": args.label, "encoding": args.encoding, "drop": args.drop, "id": args.id}
    if args.categorical is not None:
        kwargs["categorical"] = args.categorical
    export(prepare("table", None, path=args.path, **kwargs), args.out)


if __name__ == "__main__":
    main()
