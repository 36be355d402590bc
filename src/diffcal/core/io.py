"""Atomic, deterministic file writes.

Every output goes to a temporary file in the destination directory and is renamed
into place, so an interrupted job never leaves a truncated file behind under the
final name. Parquet files are written without the pandas index and with fixed
writer options, so the same frame gives the same bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is not imported at run time: the config check uses this module
    import pandas as pd


def _umask() -> int:
    """The process umask (reading it means setting it; restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; give the file the mode a plain open() would (0666 less the
    # umask), so that a group can read results and downloaded data on a cluster.
    os.chmod(tmp_path, 0o666 & ~_umask())
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` atomically (UTF-8, ``\\n`` line endings)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as sorted, indented JSON, atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` to Parquet atomically, without index, with fixed options."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


class ParquetStream:
    """Write a Parquet file one frame at a time (:func:`parquet_stream`): each
    :meth:`write` appends one row group, so a job's memory holds one frame, not
    the file. Every frame must have the first one's columns and dtypes."""

    def __init__(self, path: Path) -> None:
        self._path, self._writer, self.rows = path, None, 0

    def write(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            table = pa.Table.from_pandas(df, preserve_index=False)
            self._writer = pq.ParquetWriter(self._path, table.schema, compression="zstd")
        else:
            table = pa.Table.from_pandas(df, schema=self._writer.schema, preserve_index=False)
        self._writer.write_table(table)
        self.rows += len(df)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@contextlib.contextmanager
def parquet_stream(path: str | os.PathLike) -> Iterator[ParquetStream]:
    """A :class:`ParquetStream` to ``path``, atomically: the file appears under its
    name only when the block ends without an exception and wrote rows. The same
    frames in the same order give the same bytes."""
    with atomic_path(path) as tmp:
        stream = ParquetStream(tmp)
        try:
            yield stream
        finally:
            stream.close()
        if stream.rows == 0:
            raise ValueError(f"nothing was written to {path}")


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` to CSV atomically, without index, floats in full precision."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
