"""A manifest of a run's outputs: the sha256 of every file under ``results/``,
and the ``CHANGELOG.md`` entry that explains them. ``tests/workflow/test_manifest.py``
reruns the embedded default and fails on any file that differs from the committed
manifest, so a change of outputs lands only with a new manifest and the
changelog entry it names, in the same commit.

Trained models are byte-identical run to run on one machine, not across CPUs:
torch's CPU kernels and MKL pick code paths by the processor, and the float
rounding follows. So a manifest is recorded per platform (:func:`platform_key`),
``tests/data/manifests/default/<platform>.txt``; on a platform with none the test
skips and says how to record one: run the embedded default at the last commit
that has a manifest, record it, and check the commit under test against it.

Write one (after a run of the config, from the run's directory)::

    python -m diffcal.reporting.manifest results --changelog "<entry title>" \\
        > tests/data/manifests/default/$(python -m diffcal.reporting.manifest --platform).txt
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import re
from pathlib import Path

HEADER = "# changelog: "


def digests(root: str | Path) -> dict[str, str]:
    """``results/...`` path -> sha256 (hex) of every file under ``root``, sorted;
    without the provenance files (:mod:`diffcal.reporting.provenance`), which name
    the commit and so change with every one by design."""
    from diffcal.reporting.provenance import FILE

    root = Path(root)
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != FILE):
        rel = f"{root.name}/{path.relative_to(root).as_posix()}"
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def render(files: dict[str, str], changelog: str) -> str:
    """The manifest's text: the changelog line, then ``sha256  path`` per file."""
    return HEADER + changelog + "\n" + "".join(f"{h}  {p}\n" for p, h in files.items())


def parse(text: str) -> tuple[str, dict[str, str]]:
    """(changelog entry title, path -> sha256) of a manifest's text.

    >>> parse("# changelog: X\\nab  results/a.csv\\n")
    ('X', {'results/a.csv': 'ab'})
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith(HEADER):
        raise ValueError(f"a manifest starts with {HEADER!r}<changelog entry title>")
    files = dict(reversed(line.split("  ", 1)) for line in lines[1:] if line.strip())
    return lines[0][len(HEADER) :], files


def differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    """One line per file that is missing, new or different."""
    out = [f"missing: {p}" for p in expected if p not in got]
    out += [f"new: {p}" for p in got if p not in expected]
    out += [f"differs: {p}" for p in expected if p in got and got[p] != expected[p]]
    return out


def platform_key() -> str:
    """What the outputs' bytes depend on beyond the code and the lock: the machine,
    the CPU model, torch's version and the vector instructions its CPU kernels use
    (the float rounding of training), and Python's version (its zipfile writes
    data.npz: 3.11.2 and 3.11.7 write different ZIP64 headers for the same
    arrays), as a file name (``x86-64-amd-epyc-avx512-torch2.14.1-py3.11.7``)."""
    import torch

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((ln.split(":", 1)[1] for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    capability = torch.backends.cpu.get_cpu_capability()
    version = torch.__version__.split("+")[0]
    python = platform.python_version()
    raw = f"{platform.machine()}-{cpu.strip()}-{capability}-torch{version}-py{python}".lower()
    return re.sub(r"[^a-z0-9.]+", "-", raw).strip("-")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="?", help="the run's results directory")
    ap.add_argument("--changelog", help="the CHANGELOG.md entry's title")
    ap.add_argument("--platform", action="store_true", help="print this platform's key")
    args = ap.parse_args(argv)
    if args.platform:
        print(platform_key())
    elif args.results and args.changelog:
        print(render(digests(args.results), args.changelog), end="")
    else:
        ap.error("give the results directory and --changelog, or --platform")


if __name__ == "__main__":
    main()
