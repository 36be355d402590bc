"""Cells that differ between two versions of a generated Markdown table.

Usage: python docs/checks/table_diff.py OLD.md NEW.md
Reads every row ``| label | cell | ... |`` under the header row of each file
(the tables in docs/reproduction.md are copies of results/tables/<name>/*.md) and
prints each (row, column) whose text differs, then a count.
"""

import sys


def cells(path: str) -> dict[tuple[str, str], str]:
    out, header = {}, None
    for line in open(path, encoding="utf-8"):
        if not line.startswith("|") or line.startswith("|---"):
            header = None if not line.startswith("|") else header
            continue
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = parts
            continue
        for col, val in zip(header[1:], parts[1:], strict=False):
            out[parts[0], col] = val
    return out


def main(old: str, new: str) -> None:
    a, b = cells(old), cells(new)
    diff = [
        (k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)
    ]
    for (row, col), x, y in diff:
        print(f"{row:<16} {col:<12} {x!s:>16} -> {y!s:<16}")
    print(f"{len(diff)} of {len(set(a) | set(b))} cells differ")


if __name__ == "__main__":
    main(*sys.argv[1:3])
