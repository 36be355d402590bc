"""A table encoder of a user's (source_kwargs.encoder): not diffcal's encoding."""

import numpy as np


def encode(frame):
    """Min-max scaling, the columns in reverse order: not diffcal's encoding."""
    x = frame[list(frame.columns)[::-1]].to_numpy(np.float64)
    return (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
