"""The encoding contract of a given target: a table + checkpoint trained on the
user's own preprocessing runs through ``source_kwargs.encoder`` with the target's
accuracy as the user measured it, and without it stops with one line naming the
contract instead of a silent report at chance."""

import numpy as np
import pytest
from builders import ENCODING, encode, write_table

from diffcal.data import registry


def test_an_encoder_replaces_the_built_in_encoding_and_bad_ones_are_named(tmp_path):
    frame = write_table(tmp_path / "t.csv")
    (tmp_path / "enc.py").write_text(ENCODING + "\n\ndef short(frame):\n    return [[0.0]]\n")
    d = registry.prepare("table", path=str(tmp_path / "t.csv"), encoder=f"{tmp_path}/enc.py:encode")
    np.testing.assert_array_equal(d.x, encode(frame))
    np.testing.assert_array_equal(d.y, frame["label"])
    with pytest.raises(ValueError, match=r"encoder .*short.*returned shape \(1, 1\)"):
        registry.check_source_options(
            "table", {"path": str(tmp_path / "t.csv"), "encoder": f"{tmp_path}/enc.py:short"}
        )
    with pytest.raises(ValueError, match="options of the built-in encoding"):
        registry.check_source_options(
            "table",
            {
                "path": str(tmp_path / "t.csv"),
                "encoder": f"{tmp_path}/enc.py:encode",
                "categorical": ["neg"],
            },
        )
