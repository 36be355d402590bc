"""Per-sample model outputs that every attack needs.

For each sample (x, y) and model h (in eval mode):

- ``loss``: cross-entropy ``-log h(x)_y``;
- ``grad_norm``: ``||grad_theta loss(h(x), y)||_2`` over all trainable parameters,
  from Opacus' per-sample norm machinery (:func:`per_sample_grad_norms`): one
  batched forward and backward pass, ghost norms for linear layers (no per-sample
  gradient is ever built), per-layer per-sample gradients for the others;
- ``max_log_prob``: ``max_i log h(x)_i``;
- ``pred``: ``argmax_i h(x)_i``; ``correct``: ``pred == y``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

log = logging.getLogger("diffcal")


def per_sample_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``||grad_theta CE(model(x_i), y_i)||_2`` for each sample, with ``model`` in
    eval-mode behaviour.

    Args:
        model: a classifier returning logits ``(b, C)``.
        x: ``(b, ...)`` inputs on the model's device.
        y: ``(b,)`` int64 labels.

    Returns:
        ``(b,)`` float32 norms.

    Opacus' ``GradSampleModuleFastGradientClipping`` records activations in
    forward hooks and turns them, with the backpropagated gradients, into
    per-sample gradient norms: for ``nn.Linear`` without building the per-sample
    gradients ("ghost" norms, ``||a_i||*||g_i||``), for other layers (conv,
    GroupNorm) from per-layer per-sample gradients. Two details matter here
    (both checked against a per-sample backward loop in the tests): its hooks
    only record in training mode, so the model is put in train mode with every
    dropout layer switched back to eval (the scores are eval-mode outputs; the
    architectures have no BatchNorm, so nothing else depends on the mode); and
    the loss is summed, because with ``loss_reduction="mean"`` the norms come out
    divided by the batch size.
    """
    from opacus.grad_sample import GradSampleModuleFastGradientClipping

    was_training = model.training
    gsm = GradSampleModuleFastGradientClipping(
        model, loss_reduction="sum", use_ghost_clipping=True, strict=False
    )
    try:
        model.train()
        for m in model.modules():
            if isinstance(m, nn.Dropout | nn.Dropout2d):
                m.eval()
        with torch.enable_grad(), warnings.catch_warnings():
            # The hooks fire on module outputs because the inputs need no gradient;
            # that is what we want, and torch warns about it.
            warnings.filterwarnings("ignore", "Full backward hook is firing")
            loss = F.cross_entropy(gsm(x), y, reduction="sum")
            loss.backward()
        return gsm.get_norm_sample().detach()
    finally:
        gsm._close()
        model.zero_grad(set_to_none=True)
        model.train(was_training)


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
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("loss", "grad_norm", "max_log_prob", "pred")
    }
    n_batches = -(-len(y) // batch_size)
    every = max(1, n_batches // 10)
    for b, start in enumerate(range(0, len(y), batch_size)):
        if b and b % every == 0:
            log.info("  per-sample gradient norms: %d/%d samples", start, len(y))
        xb = torch.as_tensor(x[start : start + batch_size], dtype=torch.float32, device=device)
        yb = torch.as_tensor(y[start : start + batch_size], dtype=torch.long, device=device)
        with torch.no_grad():
            logp = F.log_softmax(model(xb), dim=1)
        norms = per_sample_grad_norms(model, xb, yb)
        out["loss"].append((-logp.gather(1, yb[:, None]).squeeze(1)).double().cpu().numpy())
        out["grad_norm"].append(norms.double().cpu().numpy())
        out["max_log_prob"].append(logp.max(1).values.double().cpu().numpy())
        out["pred"].append(logp.argmax(1).cpu().numpy().astype(np.int64))
    model.eval()
    res = {k: np.concatenate(v) for k, v in out.items()}
    res["correct"] = res["pred"] == np.asarray(y)
    return res
