"""Find a raw data file locally, or download it from its canonical source.

A file is looked up at ``<data_dir>/<relpath>``, each source module naming its files
(``RemoteFile``: relative path, sha256, URL; e.g. ``uci/adult/adult.data``).
If it is there, it is read in place (never written: the directory may be
read-only). If not, it is downloaded from its canonical URL to a temporary file in
``data_dir``, its sha256 checked, and renamed into place. A file whose checksum does
not match is never used. Without network the error names the file, the expected
path and the URL.
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from diffcal.core.io import atomic_path

log = logging.getLogger("diffcal")

#: Environment variable that overrides the configured data directory.
DATA_DIR_ENV = "DIFFCAL_DATA_DIR"


class DataUnavailableError(FileNotFoundError):
    """A raw data file is missing and could not be downloaded."""


class ChecksumError(ValueError):
    """A raw data file does not have the expected sha256."""


@dataclass(frozen=True)
class RemoteFile:
    """A raw file: where it lives under ``data_dir``, where it comes from, its sha256."""

    relpath: str
    url: str | None
    sha256: str


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """``$DIFFCAL_DATA_DIR`` if set, else ``data_dir``, else ``resources/data``."""
    return Path(os.environ.get(DATA_DIR_ENV) or data_dir or "resources/data")


def sha256sum(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _verify(path: Path, expected: str) -> None:
    got = sha256sum(path)
    if got != expected:
        raise ChecksumError(
            f"{path}: sha256 {got} does not match the expected {expected}; "
            "the file is corrupt or a different version: delete it to re-download"
        )


def fetch(remote: RemoteFile, data_dir: str | os.PathLike | None, *, timeout: float = 60) -> Path:
    """Path of ``remote`` under ``data_dir``, downloading it if missing. Verified."""
    path = resolve_data_dir(data_dir) / remote.relpath
    if path.is_file():
        _verify(path, remote.sha256)
        return path
    if remote.url is None:
        raise DataUnavailableError(
            f"{remote.relpath} is not at {path} and has no download source; "
            "copy it there (its source module in diffcal.data.sources names the file)"
        )
    log.info("downloading %s -> %s", remote.url, path)
    try:
        with atomic_path(path) as tmp:
            with urllib.request.urlopen(remote.url, timeout=timeout) as resp, open(tmp, "wb") as fh:
                while chunk := resp.read(1 << 20):
                    fh.write(chunk)
            _verify(tmp, remote.sha256)
    except OSError as err:
        raise DataUnavailableError(
            f"{remote.relpath} is not at {path} and downloading {remote.url} failed ({err}); "
            f"without network, put the file at {path} or set data_dir / ${DATA_DIR_ENV} "
            "to a directory that holds it"
        ) from err
    return path
