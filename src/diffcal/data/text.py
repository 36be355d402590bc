"""Text corpora for language-model audits: the user's documents and Debian's fortunes.

A corpus is a list of documents (``str``), in a fixed order: its positions are the
sample ids every split and score file uses. Two ways in:

- :func:`read_documents`: the user's own corpus, one document per line (``.txt``),
  one JSON object per line (``.jsonl``, the ``column`` key, default ``text``) or a
  CSV column (``.csv``);
- :func:`load_fortunes`: the short texts of Debian's ``fortunes`` package (BSD
  licence), read from an installed copy (``apt-get install fortunes``:
  ``/usr/share/games/fortunes``), from the package file under ``data_dir``
  (``debian/fortunes_1.99.1-7.3_all.deb``), or downloaded from Debian's archive
  into it and checked against its sha256.

Documents that repeat an earlier one exactly are dropped (the first is kept): a
repeated text drawn once as a member and once as a non-member would be scored as
leakage of itself. Empty documents are dropped too.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from diffcal.data.fetch import RemoteFile, fetch

FORTUNES_DEB = RemoteFile(
    "debian/fortunes_1.99.1-7.3_all.deb",
    "http://deb.debian.org/debian/pool/main/f/fortune-mod/fortunes_1.99.1-7.3_all.deb",
    "41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5",
)
FORTUNES_INSTALLED = Path("/usr/share/games/fortunes")
_FORTUNES_IN_DEB = "./usr/share/games/fortunes/"


def unique_documents(docs: Iterable[str]) -> list[str]:
    """``docs`` without empty ones (after stripping trailing whitespace) and without
    exact repeats, first occurrence kept, order kept."""
    seen: set[str] = set()
    out = []
    for doc in docs:
        doc = doc.rstrip()
        if doc and doc not in seen:
            seen.add(doc)
            out.append(doc)
    return out


def parse_fortunes(text: str) -> list[str]:
    """The texts of one fortune file: separated by lines that hold only ``%``."""
    docs, current = [], []
    for line in text.splitlines():
        if line.rstrip() == "%":
            docs.append("\n".join(current))
            current = []
        else:
            current.append(line)
    docs.append("\n".join(current))
    return [d.strip("\n") for d in docs if d.strip()]


def _deb_data(deb: Path) -> tarfile.TarFile:
    """The ``data.tar.*`` member of a Debian package (an ``ar`` archive: an 8-byte
    magic, then 60-byte headers, each followed by its member, padded to even size).
    Read by hand: the standard library has no ``ar`` reader and this is all of it."""
    raw = deb.read_bytes()
    if raw[:8] != b"!<arch>\n":
        raise ValueError(f"{deb}: not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(raw):
        name = raw[pos : pos + 16].decode("ascii").strip().rstrip("/")
        size = int(raw[pos + 48 : pos + 58].decode("ascii").strip())
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(raw[pos + 60 : pos + 60 + size]))
        pos += 60 + size + (size % 2)
    raise ValueError(f"{deb}: no data.tar member")


def _fortune_files_from_deb(deb: Path) -> dict[str, str]:
    with _deb_data(deb) as tar:
        return {
            m.name[len(_FORTUNES_IN_DEB) :]: tar.extractfile(m).read().decode("utf-8", "replace")
            for m in tar.getmembers()
            if m.isfile() and m.name.startswith(_FORTUNES_IN_DEB) and "." not in Path(m.name).name
        }


def load_fortunes(
    data_dir: str | os.PathLike | None = None, installed: Path | None = None
) -> list[str]:
    """Every fortune of the ``fortunes`` package, files in name order, repeats dropped.

    Read from ``installed`` (default ``/usr/share/games/fortunes``) when it exists,
    else from the package file under ``data_dir`` (downloaded when missing)."""
    installed = FORTUNES_INSTALLED if installed is None else installed
    if installed.is_dir():
        files = {
            p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in installed.iterdir()
            if p.is_file() and "." not in p.name
        }
    else:
        files = _fortune_files_from_deb(fetch(FORTUNES_DEB, data_dir))
    if not files:
        raise ValueError(f"no fortune files found ({installed} and the package are empty)")
    return unique_documents(d for name in sorted(files) for d in parse_fortunes(files[name]))


def read_documents(path: str | os.PathLike, column: str | None = None) -> list[str]:
    """The user's corpus: ``.txt`` one document per line, ``.jsonl`` the ``column``
    key of each line's object (default ``text``), ``.csv`` its ``column``. Repeats
    and empty documents dropped; ValueError naming the file when none is left."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        docs: Sequence[str] = path.read_text(encoding="utf-8").splitlines()
    elif suffix == ".jsonl":
        key = column or "text"
        docs = [
            _json_field(line, key, path, i)
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines())
            if line.strip()
        ]
    elif suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if column not in frame.columns:
            raise ValueError(f"{path}: no column {column!r} (columns: {list(frame.columns)})")
        docs = frame[column].tolist()
    else:
        raise ValueError(f"{path}: expected a .txt, .jsonl or .csv file")
    out = unique_documents(docs)
    if not out:
        raise ValueError(f"{path}: the corpus has no non-empty document")
    return out


def _json_field(line: str, key: str, path: Path, i: int) -> str:
    obj = json.loads(line)
    if not isinstance(obj, dict) or not isinstance(obj.get(key), str):
        raise ValueError(f"{path}, line {i + 1}: no string field {key!r}")
    return obj[key]


#: Roles in the order of a seeded permutation, a quarter each: the target
#: fine-tunes on ``member``, ``nonmember`` is held out, the public reference
#: fine-tunes on ``public``, a from-scratch base model pretrains on ``pretrain``.
LM_ROLES = ("member", "nonmember", "public", "pretrain")


def lm_roles(n: int, seed: int) -> np.ndarray:
    """Role of each of ``n`` documents: a seeded permutation cut into quarters
    (the remainder to ``pretrain``). ``(n,)`` object array."""
    order = np.random.default_rng(seed).permutation(n)
    roles = np.empty(n, dtype=object)
    q = n // 4
    for i, role in enumerate(LM_ROLES):
        roles[order[i * q : (i + 1) * q if i < 3 else n]] = role
    return roles
