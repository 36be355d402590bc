"""A model factory of a user's (model.arch: python), with a layer Opacus does not know."""

import torch
from torch import nn


class Scale(nn.Module):
    """A layer Opacus has no per-sample rule for."""

    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * self.w


def make_model(input_shape, num_classes, *, width=8, scale=False):
    d = int(torch.tensor(input_shape).prod())
    layers = [nn.Flatten(), nn.Linear(d, width), nn.ReLU()]
    if scale:
        layers.append(Scale(width))
    return nn.Sequential(*layers, nn.Linear(width, num_classes))


def not_a_model(input_shape, num_classes):
    return "oops"
