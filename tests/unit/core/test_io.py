"""Atomic writes: files get the mode a plain open() would give under the umask."""

import os

import pytest

from diffcal.core.io import write_text


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_text(tmp_path / "out.md", "x\n")
        plain = tmp_path / "plain.md"
        plain.write_text("x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "out.md").stat().st_mode & 0o777 == mode
    assert plain.stat().st_mode & 0o777 == mode  # the oracle: what open() gives


def test_parquet_stream_writes_frame_by_frame_atomically_and_reproducibly(tmp_path):
    """The streamed file reads back as the frames concatenated, the same
    frames give the same bytes, and a failure (or nothing written) leaves no file."""
    import numpy as np
    import pandas as pd

    from diffcal.core.io import parquet_stream

    frames = [
        pd.DataFrame(
            {
                "split": np.int16(0),
                "model": pd.array(["pool"] * 3, dtype="string"),
                "ref": np.int16(j),
                "loss": np.arange(3) * 0.5 + j,
            }
        )
        for j in range(4)
    ]
    for name in ("a.parquet", "b.parquet"):
        with parquet_stream(tmp_path / name) as out:
            for f in frames:
                out.write(f)
    back = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(back, pd.concat(frames, ignore_index=True))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    with pytest.raises(RuntimeError), parquet_stream(tmp_path / "c.parquet") as out:
        out.write(frames[0])
        raise RuntimeError("the job died")
    with (
        pytest.raises(ValueError, match="nothing was written"),
        parquet_stream(tmp_path / "d.parquet"),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet"]
