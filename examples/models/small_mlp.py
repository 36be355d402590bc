"""A user's own architecture, as diffcal's `arch: python` takes it: a function of
(input_shape, num_classes, **kwargs) returning an nn.Module that outputs logits."""

import math

from torch import nn


def make_model(input_shape, num_classes, *, width=32):
    """Flatten, one hidden ReLU layer of ``width`` units, logits."""
    d = math.prod(input_shape)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(d, width), nn.ReLU(), nn.Linear(width, num_classes)
    )
