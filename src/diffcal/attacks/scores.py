"""Per-sample model outputs that every attack needs.

For each sample (x, y) and model h (in eval mode):

- ``loss``: cross-entropy ``-log h(x)_y``;
- ``grad_norm``: ``||grad_theta loss(h(x), y)||_2`` over all trainable parameters:
  in closed form for the two-layer MLP (:class:`MLPGradNorms`), else from Opacus'
  per-sample norm machinery (:class:`PerSampleGradNorms`): one batched forward and
  backward pass, ghost norms for linear layers (no per-sample gradient is ever
  built), per-layer per-sample gradients for the others;
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

from diffcal.training.models import mlp_layers

log = logging.getLogger("diffcal")


class PerSampleGradNorms:
    """Per-sample gradient norms ``||grad_theta CE(model(x_i), y_i)||_2`` and the
    logits of the same pass, with ``model`` behaving as in eval mode. Use as a
    context manager around the batches of one model::

        with PerSampleGradNorms(model) as psg:
            logits, norms = psg(xb, yb)  # (b, C), (b,)

    Opacus' ``GradSampleModuleFastGradientClipping`` records activations in
    forward hooks and turns them, with the backpropagated gradients, into
    per-sample gradient norms: for ``nn.Linear`` without building the per-sample
    gradients ("ghost" norms, ``||a_i||*||g_i||``), for other layers (conv,
    GroupNorm) from per-layer per-sample gradients. One batched forward and
    backward pass per batch. Two details matter here (both checked against a
    per-sample backward loop in the tests): its hooks only record in training
    mode, so the model is put in train mode with every dropout layer switched back
    to eval (the scores are eval-mode outputs; the architectures have no
    BatchNorm, so nothing else depends on the mode); and the loss is summed,
    because with ``loss_reduction="mean"`` the norms come out divided by the batch
    size. The hooks are removed and the mode restored on exit.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> PerSampleGradNorms:
        from opacus.grad_sample import GradSampleModuleFastGradientClipping

        self._was_training = self.model.training
        self._gsm = GradSampleModuleFastGradientClipping(
            self.model, loss_reduction="sum", use_ghost_clipping=True, strict=False
        )
        self.model.train()
        for m in self.model.modules():
            if isinstance(m, nn.Dropout | nn.Dropout2d):
                m.eval()
        return self

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: ``(b, ...)``, ``y``: ``(b,)`` int64 -> logits ``(b, C)``, norms ``(b,)``."""
        with torch.enable_grad(), warnings.catch_warnings():
            # The hooks fire on module outputs because the inputs need no gradient;
            # that is what we want, and torch warns about it.
            warnings.filterwarnings("ignore", "Full backward hook is firing")
            logits = self._gsm(x)
            F.cross_entropy(logits, y, reduction="sum").backward()
        norms = self._gsm.get_norm_sample().detach()
        self.model.zero_grad(set_to_none=True)
        return logits.detach(), norms

    def __exit__(self, *exc) -> None:
        self._gsm._close()
        self.model.zero_grad(set_to_none=True)
        self.model.train(self._was_training)


class VmapGradNorms:
    """Same interface as :class:`PerSampleGradNorms`, computed with
    ``torch.func.vmap(grad)``: every per-sample gradient is built, then reduced.
    The previous method; kept as a second, independent implementation for the
    tests and ``benchmarks/gn_scoring.py`` (on CPU it is 4-6x slower than Opacus'
    norms for the MLP and ``mnist_cnn``, on par for ``cifar_cnn``)."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> VmapGradNorms:
        from torch.func import functional_call, grad, vmap

        model = self.model
        model.eval()
        self._params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
        self._buffers = {k: v.detach() for k, v in model.named_buffers()}

        def sample_loss(p, b, xi, yi):
            logits = functional_call(model, (p, b), (xi.unsqueeze(0),))
            return F.cross_entropy(logits, yi.unsqueeze(0))

        self._grad = vmap(grad(sample_loss), in_dims=(None, None, 0, 0))
        return self

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            logits = self.model(x)
        grads = self._grad(self._params, self._buffers, x, y)
        sq = sum(g.reshape(len(y), -1).pow(2).sum(1) for g in grads.values())
        return logits, sq.sqrt()

    def __exit__(self, *exc) -> None:
        pass


class MLPGradNorms:
    """Same interface as :class:`PerSampleGradNorms`, in closed form for the
    two-layer MLP (:func:`two_layer_mlp`; ``diffcal.training.models.mlp``).

    With ``a = W1 x + b1``, ``h = relu(a)``, ``z = W2 h + b2`` and ``g_z`` the
    loss's gradient with respect to ``z`` (``softmax(z) - e_y``; through the
    softmax's Jacobian for the softmax head), ``g_a = (W2^T g_z) * [a > 0]``:
    ``||grad||^2 = ||g_z||^2 (||h||^2 + 1) + ||g_a||^2 (||x||^2 + 1)`` (the weight
    gradients are outer products, the ``+ 1`` are the biases). One forward pass
    and one product with ``W2``; no autograd, no hooks. Written by hand: Opacus'
    ghost norms compute the same quantity through module hooks and a backward
    pass, 2.5-3.3x the cost of a forward+backward pass on these MLPs
    (``benchmarks/gn_scoring.py``)."""

    def __init__(self, model: nn.Module) -> None:
        parts = two_layer_mlp(model)
        if parts is None:
            raise ValueError("closed-form gradient norms need the two-layer MLP")
        self.model = model
        self.first, self.second, self.softmax = parts

    def __enter__(self) -> MLPGradNorms:
        return self

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: ``(b, ...)``, ``y``: ``(b,)`` int64 -> outputs ``(b, C)``, norms ``(b,)``."""
        with torch.no_grad():
            xf = x.flatten(1)
            a = F.linear(xf, self.first.weight, self.first.bias)
            h = a.clamp_min(0)
            z = F.linear(h, self.second.weight, self.second.bias)
            onehot = F.one_hot(y, z.shape[1]).to(z.dtype)
            if self.softmax:  # loss = CE(p, y) with p = softmax(z)
                p = z.softmax(dim=1)
                g_p = p.softmax(dim=1) - onehot
                g_z = p * (g_p - (p * g_p).sum(dim=1, keepdim=True))
                out = p
            else:
                g_z = z.softmax(dim=1) - onehot
                out = z
            g_a = (g_z @ self.second.weight) * (a > 0)
            sq = g_z.square().sum(1) * (h.square().sum(1) + 1) + g_a.square().sum(1) * (
                xf.square().sum(1) + 1
            )
        return out, sq.sqrt()

    def __exit__(self, *exc) -> None:
        pass


def two_layer_mlp(model: nn.Module) -> tuple[nn.Linear, nn.Linear, bool] | None:
    """:func:`diffcal.training.models.mlp_layers`, when every parameter is trainable
    too (a frozen layer has no gradient, which the closed form would count)."""
    parts = mlp_layers(model)
    if parts is None or not all(p.requires_grad for p in model.parameters()):
        return None
    return parts


#: How per-sample gradient norms are computed: name -> context manager class
#: (``auto``: ``mlp`` for the two-layer MLP, else ``opacus``; see grad_norm_method).
GRAD_NORM_METHODS = {"mlp": MLPGradNorms, "opacus": PerSampleGradNorms, "vmap": VmapGradNorms}


def opacus_unsupported(model: nn.Module) -> list[str]:
    """Layers with trainable parameters of their own that Opacus has no per-sample
    gradient rule for (``name (Type)``); empty when Opacus can score ``model``.
    Models from a user's factory may hold such layers."""
    from opacus.grad_sample import GradSampleModule

    return [
        f"{name or 'model'} ({type(m).__name__})"
        for name, m in model.named_modules()
        if any(p.requires_grad for p in m.parameters(recurse=False))
        and type(m) not in GradSampleModule.GRAD_SAMPLERS
    ]


def grad_norm_method(model: nn.Module, method: str = "auto") -> tuple[str, list[str]]:
    """``method``; ``auto`` is the closed form (``mlp``) for the two-layer MLP and
    ``opacus`` otherwise; ``vmap`` when Opacus cannot score ``model`` (a warning line
    names the layers): torch.func builds every per-sample gradient, slower but valid
    for any layer that is a function of its parameters and input. Also returns the
    layers that made it fall back (empty otherwise)."""
    if method == "auto":
        method = "mlp" if two_layer_mlp(model) is not None else "opacus"
    bad = opacus_unsupported(model) if method == "opacus" else []
    if bad:
        log.warning(
            "gradient norms: Opacus has no per-sample rule for %s; using torch.func "
            "(vmap) for this model instead (slower)",
            ", ".join(bad),
        )
        return "vmap", bad
    return method, bad


def per_sample_outputs(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 256,
    method: str = "auto",
) -> dict[str, np.ndarray]:
    """Outputs of ``model`` for each sample.

    Args:
        model: a classifier returning logits ``(b, C)``.
        x: ``(n, ...)`` float32 inputs.
        y: ``(n,)`` int labels.
        batch_size: samples per batched pass.
        method: gradient-norm method, a key of :data:`GRAD_NORM_METHODS` or
            ``auto`` (:func:`grad_norm_method`).

    Returns:
        dict of ``(n,)`` arrays: ``loss``, ``grad_norm``, ``max_log_prob`` (float64),
        ``pred`` (int64), ``correct`` (bool).
    """
    model.eval()
    device = next(model.parameters()).device
    # Default (contiguous) layout: Opacus' per-sample conv gradients come out wrong
    # for channels-last activations (tests/unit/attacks/test_scores.py catches it), so a model
    # trained channels-last (diffcal.training.train.image_layout) is converted back.
    model.to(memory_format=torch.contiguous_format)
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("loss", "grad_norm", "max_log_prob", "pred")
    }
    n_batches = -(-len(y) // batch_size)
    every = max(1, n_batches // 10)
    method, fell_back_for = grad_norm_method(model, method)
    with GRAD_NORM_METHODS[method](model) as psg:
        for b, start in enumerate(range(0, len(y), batch_size)):
            if b and b % every == 0:
                log.info("  per-sample gradient norms: %d/%d samples", start, len(y))
            xb = torch.as_tensor(x[start : start + batch_size], dtype=torch.float32, device=device)
            yb = torch.as_tensor(y[start : start + batch_size], dtype=torch.long, device=device)
            try:
                logits, norms = psg(xb, yb)
            except RuntimeError as e:
                if not fell_back_for:
                    raise
                raise ValueError(
                    f"gradient norms: Opacus has no per-sample rule for "
                    f"{', '.join(fell_back_for)} and torch.func failed: "
                    f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
                ) from None
            logp = F.log_softmax(logits, dim=1)
            out["loss"].append((-logp.gather(1, yb[:, None]).squeeze(1)).double().cpu().numpy())
            out["grad_norm"].append(norms.double().cpu().numpy())
            out["max_log_prob"].append(logp.max(1).values.double().cpu().numpy())
            out["pred"].append(logp.argmax(1).cpu().numpy().astype(np.int64))
    model.eval()
    res = {k: np.concatenate(v) for k, v in out.items()}
    res["correct"] = res["pred"] == np.asarray(y)
    return res
