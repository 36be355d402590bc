"""Plugins that go wrong, one way each (tests/unit/attacks/test_plugins.py)."""

import numpy as np


def too_short(target, references):
    return np.zeros(len(target) - 1)


def with_nan(target, references):
    s = -target["loss"].to_numpy()
    s[0] = np.nan
    return s


def raises(target, references):
    raise KeyError("no such column")


NOT_A_FUNCTION = 3
