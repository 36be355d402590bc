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
