"""Keep the generated tables quoted in ``docs/*.md`` equal to the pipeline's files.

A document quotes a generated file between two markers::

    <!-- BEGIN generated: docs/reproduction/paper/table2_auc.md -->
    ...the file's text, verbatim...
    <!-- END generated -->

The block holds the file's text without its top-level ``# title`` line (the
document gives its own heading). ``path#Heading`` quotes one section of a Markdown
file: the lines under its ``## Heading`` (any level; spaces in the title written
as ``-``) up to the next heading of that level or above. The quoted file is a copy of a run's output
(``results/tables/<name>/...`` copied under ``docs/``, since ``results/`` is not
versioned). Commands (paths relative to
the repository root)::

    python -m diffcal.reporting.docsync check docs/*.md        # every block equals its file,
                                                               # every image link resolves
    python -m diffcal.reporting.docsync write docs/reproduction.md   # refresh the blocks
    python -m diffcal.reporting.docsync same results/tables/paper docs/reproduction/paper
        # every file of the copy equals the run's file of the same name, byte for byte
    python -m diffcal.reporting.docsync same results/figures docs/reproduction/paper/figures
        # the same for the copied Figures 1-2 (PNGs in <dataset>/<variant>/)

A number in prose that comes from a run's CSV is written between markers that
name its source, and ``check`` fails when the text differs from the file::

    <!-- value: docs/x.csv variant=eps10 attack=a epsilon_lb_mean .3f -->0.035<!-- /value -->

Tokens (split as a shell would, so ``"table=Table 2"`` is one): the CSV, any
``column=value`` / ``column!=value`` filters (compared as the file's text), the
column (``max:`` / ``min:`` before it aggregates over the rows the filters keep,
``count:`` counts them, else exactly one row must match; ``*100`` after it scales)
and a format spec; ``write`` fills the text in.

Each exits 1 and names the offending block, value or file when something differs.
"""

from __future__ import annotations

import argparse
import csv
import re
import shlex
import sys
from pathlib import Path

BLOCK = re.compile(
    r"(<!-- BEGIN generated: (?P<path>[^ ]+) -->\n)(?P<body>.*?)(<!-- END generated -->)",
    re.DOTALL,
)


def quoted(text: str) -> str:
    """What a block holds of a file: its text without a first ``# title`` line,
    stripped of surrounding blank lines, ending in one newline."""
    if text.startswith("# "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return text.strip() + "\n"


def blocks(text: str) -> list[tuple[str, str]]:
    """``(path, body)`` of every generated block of a document, in order."""
    return [(m["path"], m["body"]) for m in BLOCK.finditer(text)]


def section(text: str, heading: str) -> str:
    """The lines of Markdown ``text`` under the heading whose title, spaces written
    as ``-``, is ``heading`` (any level) up to the next heading of that level or
    above; ValueError (one line) when no heading has that title."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"(#+) (.*)", line)
        if m and m[2].strip().replace(" ", "-") == heading:
            level, end = len(m[1]), len(lines)
            for j in range(i + 1, len(lines)):
                n = re.match(r"(#+) ", lines[j])
                if n and len(n[1]) <= level:
                    end = j
                    break
            return "\n".join(lines[i + 1 : end])
    raise ValueError(f"no heading {heading!r}")


def source_text(path: str, root: Path) -> str | None:
    """What a block naming ``path`` (``file`` or ``file#Heading``) should hold,
    or None when the file or the section is missing."""
    name, _, heading = path.partition("#")
    f = root / name
    if not f.is_file():
        return None
    text = f.read_text(encoding="utf-8")
    if not heading:
        return quoted(text)
    try:
        return section(text, heading).strip() + "\n"
    except ValueError:
        return None


def stale_blocks(doc: Path, root: Path) -> list[str]:
    """Paths of the blocks of ``doc`` whose body differs from the file (or whose
    file or section is missing)."""
    bad = []
    for path, body in blocks(doc.read_text(encoding="utf-8")):
        want = source_text(path, root)
        if want is None or want.strip() != body.strip():
            bad.append(path)
    return bad


def refresh(doc: Path, root: Path) -> int:
    """Rewrite every block of ``doc`` with its file's text; returns the number of
    blocks. A block whose file or section is missing is an error."""
    text = doc.read_text(encoding="utf-8")

    def body(m: re.Match) -> str:
        want = source_text(m["path"], root)
        if want is None:
            raise FileNotFoundError(f"{doc}: generated block names {m['path']}, which is missing")
        return m.group(1) + want + m.group(4)

    new, n = BLOCK.subn(body, text)
    if new != text:
        doc.write_text(new, encoding="utf-8")
    return n


VALUE = re.compile(r"(<!-- value: (?P<spec>[^>]*?) -->)(?P<text>.*?)(<!-- /value -->)", re.DOTALL)


def value_of(spec: str, root: Path) -> str:
    """The text a ``value`` marker's ``spec`` (module docstring) gives, from its CSV
    under ``root``; ValueError (one line) on a missing file or column or when the
    filters keep no row (or several, without ``max:`` / ``min:``)."""
    path, *filters, column, fmt = shlex.split(spec)
    f = root / path
    if not f.is_file():
        raise ValueError(f"value marker {spec!r}: {path} is missing")
    with f.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for flt in filters:
        key, op, want = re.match(r"([^!=]+)(!?=)(.*)", flt).groups()
        rows = [r for r in rows if (r.get(key) == want) == (op == "=")]
    agg, _, column = column.rpartition(":")
    column, _, scale = column.partition("*")
    if agg == "count":
        return format(len(rows), fmt)
    if not rows or (len(rows) > 1 and not agg):
        raise ValueError(f"value marker {spec!r}: the filters keep {len(rows)} rows of {path}")
    if column not in rows[0]:
        raise ValueError(f"value marker {spec!r}: {path} has no column {column!r}")
    values = [float(r[column]) * float(scale or 1) for r in rows]
    value = {"max": max, "min": min, "": lambda v: v[0]}[agg](values)
    return format(value, fmt)


def stale_values(doc: Path, root: Path) -> list[str]:
    """One line per ``value`` marker of ``doc`` whose text differs from its source."""
    bad = []
    for m in VALUE.finditer(doc.read_text(encoding="utf-8")):
        want = value_of(m["spec"], root)
        if m["text"] != want:
            bad.append(f"{m['spec']}: the text says {m['text']!r}, the file {want!r}")
    return bad


def refresh_values(doc: Path, root: Path) -> int:
    """Rewrite every ``value`` marker's text of ``doc`` from its source; returns
    how many there are."""
    text = doc.read_text(encoding="utf-8")
    new, n = VALUE.subn(lambda m: m.group(1) + value_of(m["spec"], root) + m.group(4), text)
    if new != text:
        doc.write_text(new, encoding="utf-8")
    return n


def differing_files(run_dir: Path, copy_dir: Path) -> list[str]:
    """Paths (relative to ``copy_dir``, sub-folders included: the figures' PNGs
    under ``<dataset>/<variant>/``) of the files in ``copy_dir`` that differ from
    (or are missing in) ``run_dir``."""
    out = []
    for f in sorted(p for p in copy_dir.rglob("*") if p.is_file()):
        rel = f.relative_to(copy_dir)
        other = run_dir / rel
        if not other.is_file() or other.read_bytes() != f.read_bytes():
            out.append(str(rel))
    return out


IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def missing_images(doc: Path) -> list[str]:
    """Image links of ``doc`` (``![..](path)``, relative to its folder) whose file is
    missing."""
    text = doc.read_text(encoding="utf-8")
    return [p for p in IMAGE.findall(text) if "://" not in p and not (doc.parent / p).is_file()]


def split_out(argv: list[str]) -> tuple[list[str], list[str]]:
    """A ``docs/checks/`` script's command line split at ``--out``: (its own
    arguments, what follows ``--out``, which :func:`write_generated` takes).

    >>> split_out(["results", "credit", "--out", "x.md"])
    (['results', 'credit'], ['x.md'])
    >>> split_out(["results"])
    (['results'], [])
    """
    if "--out" not in argv:
        return list(argv), []
    i = argv.index("--out")
    return argv[:i], argv[i + 1 :]


def write_generated(argv: list[str], text: str, table) -> None:
    """What a ``docs/checks/`` script writes: with a path in ``argv`` (its command
    line after the script) the Markdown ``text`` there and ``table`` (a DataFrame,
    the numbers the docs' value markers read) as a CSV beside it, else ``text`` on
    stdout."""
    from diffcal.core.io import write_csv, write_text

    if not argv:
        print(text, end="")
        return
    write_text(argv[0], text)
    write_csv(table, Path(argv[0]).with_suffix(".csv"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m diffcal.reporting.docsync",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("check", "write"):
        p = sub.add_parser(name)
        p.add_argument("docs", nargs="+", type=Path)
    p = sub.add_parser("same")
    p.add_argument("run_dir", type=Path)
    p.add_argument("copy_dir", type=Path)
    args = parser.parse_args(argv)
    root = Path.cwd()
    if args.cmd == "same":
        bad = differing_files(args.run_dir, args.copy_dir)
        for name in bad:
            print(f"{args.copy_dir / name}: differs from {args.run_dir / name}")
        return 1 if bad else 0
    status = 0
    for doc in args.docs:
        if args.cmd == "write":
            blocks_n, values_n = refresh(doc, root), refresh_values(doc, root)
            print(f"{doc}: {blocks_n} generated blocks, {values_n} values")
        else:
            for line in stale_values(doc, root):
                print(f"{doc}: {line}")
                status = 1
            for path in stale_blocks(doc, root):
                print(f"{doc}: the block of {path} differs from the file")
                status = 1
            for path in missing_images(doc):
                print(f"{doc}: the image {path} is missing")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
