"""Per-sample model outputs that every attack needs.

For each sample (x, y) and model h (in eval mode):

- ``loss``: cross-entropy ``-log h(x)_y``;
- ``grad_norm``: ``||grad_theta loss(h(x), y)||_2`` over all trainable parameters,
  computed with ``torch.func`` (``vmap`` over ``grad``), one gradient per sample;
- ``max_log_prob``: ``max_i log h(x)_i``;
- ``pred``: ``argmax_i h(x)_i``; ``correct``: ``pred == y``.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

log = logging.getLogger("diffcal")


def per_sample_outputs(
    model: nn.Module, x: np.ndarray, y: np.ndarray, *, batch_size: int = 256
) -> dict[str, np.ndarray]:
    """Outputs of ``model`` for each sample.

    Args:
        model: a classifier returning logits ``(b, C)``.
        x: ``(n, ...)`` float32 inputs.
        y: ``(n,)`` int labels.

    Returns:
        dict of ``(n,)`` arrays: ``loss``, ``grad_norm``, ``max_log_prob`` (float64),
        ``pred`` (int64), ``correct`` (bool).
    """
    model.eval()
    device = next(model.parameters()).device
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def sample_loss(p, b, xi, yi):
        logits = functional_call(model, (p, b), (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    per_sample_grad = vmap(grad(sample_loss), in_dims=(None, None, 0, 0))
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("loss", "grad_norm", "max_log_prob", "pred")
    }
    n_batches = -(-len(y) // batch_size)
    every = max(1, n_batches // 10)
    for b, start in enumerate(range(0, len(y), batch_size)):
        if b and b % every == 0:
            log.info("  per-sample gradients: %d/%d samples", start, len(y))
        xb = torch.as_tensor(x[start : start + batch_size], dtype=torch.float32, device=device)
        yb = torch.as_tensor(y[start : start + batch_size], dtype=torch.long, device=device)
        with torch.no_grad():
            logp = F.log_softmax(model(xb), dim=1)
        grads = per_sample_grad(params, buffers, xb, yb)
        sq = sum(g.reshape(len(yb), -1).pow(2).sum(1) for g in grads.values())
        out["loss"].append((-logp.gather(1, yb[:, None]).squeeze(1)).double().cpu().numpy())
        out["grad_norm"].append(sq.sqrt().double().cpu().numpy())
        out["max_log_prob"].append(logp.max(1).values.double().cpu().numpy())
        out["pred"].append(logp.argmax(1).cpu().numpy().astype(np.int64))
    res = {k: np.concatenate(v) for k, v in out.items()}
    res["correct"] = res["pred"] == np.asarray(y)
    return res
