"""Batched, seeded HopSkipJump (Chen, Jordan & Wainwright, 2020): the L2 distance
from each sample to a classifier's decision boundary, using predicted labels only.

Why our own: the label-only attack of the paper (Table 4; Choquette-Choo et al.,
2021) runs HopSkipJump on thousands of points for every target and reference
model. The implementations in ART and cleverhans attack one point at a time and
query the model in small batches, so their cost is dominated by Python overhead
(ART: ~149 ms per point on a Credit-sized MLP at max_iter 50). Here all points of
a call are attacked together: each query step (a binary-search step, a step-size
trial, a gradient estimate) is one forward pass over every point still in play,
and the random directions come from one seeded ``torch.Generator``, so the result
is deterministic. Correctness is checked against ART's ``HopSkipJump`` and a
linear classifier's closed-form distance (tests/unit/attacks/test_hsj.py).

Untargeted, L2, following ART 1.20's schedule step by step (theta =
0.01 / sqrt(d); delta = 0.1 * range at the first iteration, sqrt(d) * theta *
distance after; num_eval = min(init_eval * sqrt(t + 1), max_eval); step size
2 * distance / sqrt(t + 1) halved until the step stays adversarial), with one
addition: a last binary search after the last step, so the point we return lies
on the boundary rather than past it (it can only shorten the distance; at most
``ceil(log2(1 / theta))`` extra queries per point).

Only the predicted label is used: ``model(x).argmax(1)``. Logits are checked to
be finite (a model that returns NaN would silently yield meaningless distances).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from diffcal.attacks.hsj_budget import check_budget

#: Defaults of ART 1.20's HopSkipJump (which follow the HopSkipJump paper); the
#: paper's released code calls cleverhans' hop_skip_jump_attack with
#: num_iterations 64, initial_num_evals 100, max_num_evals 10000.
HSJ_DEFAULTS = {"max_iter": 50, "max_eval": 10000, "init_eval": 100, "init_size": 100}


#: Floats per query batch (rows x features): bounds memory, ~64 MiB per tensor.
QUERY_ELEMENTS = 1 << 24
#: Step-size halvings tried before a point keeps its current (adversarial) sample;
#: ART halves until success, which in the limit is the current sample too.
MAX_HALVINGS = 30


@dataclass
class HSJResult:
    """Per-point results, all ``(n,)`` except ``x_adv`` ``(n, *shape)``.

    ``distance``: L2 distance to the boundary found (0 for misclassified points,
    NaN where no adversarial start was found); ``found``: an adversarial point was
    found (False for misclassified points too); ``misclassified``: the model's
    label differs from ``y`` before any perturbation; ``queries``: model queries
    spent on the point.
    """

    distance: np.ndarray
    x_adv: np.ndarray
    found: np.ndarray
    misclassified: np.ndarray
    queries: np.ndarray


class _Oracle:
    """Label queries to ``model`` with a per-point query counter."""

    def __init__(self, model: Callable[[torch.Tensor], torch.Tensor], n: int, clip, device):
        self.model, self.clip = model, clip
        self.queries = torch.zeros(n, dtype=torch.int64, device=device)

    def labels(self, z: torch.Tensor, *, clipped: bool = False) -> torch.Tensor:
        """The model's labels of ``z`` (clipped to the box first, unless the caller
        already did: clipping twice gives the same tensor)."""
        with torch.inference_mode():
            logits = self.model(z if clipped else z.clamp(*self.clip))
        if not torch.isfinite(logits).all():
            raise ValueError(
                "the model returned non-finite logits (NaN or inf); "
                "HopSkipJump distances would be meaningless"
            )
        return logits.argmax(dim=1)

    def adversarial(
        self, z: torch.Tensor, cls: torch.Tensor, idx: torch.Tensor, *, clipped: bool = False
    ) -> torch.Tensor:
        """``z``: ``(m, *shape)`` queries, ``cls``: ``(m,)`` original labels, ``idx``:
        ``(m,)`` point of each query (for counting). Returns ``(m,)`` bool."""
        self.queries.index_add_(0, idx, torch.ones_like(idx))
        return self.labels(z, clipped=clipped) != cls


def _rows(flat: torch.Tensor) -> torch.Tensor:
    """Per-row L2 norms of a ``(m, d)`` tensor."""
    return flat.norm(dim=1)


def _binary_search(oracle, x, adv, cls, idx, threshold: float) -> torch.Tensor:
    """Move each ``adv`` towards its original ``x`` along the segment, keeping it
    adversarial, until the blend factor is known within ``threshold``. Fixed step
    count (every point starts at [0, 1]), so all points move together."""
    n = x.shape[0]
    lo = torch.zeros(n, dtype=x.dtype, device=x.device)
    hi = torch.ones(n, dtype=x.dtype, device=x.device)
    view = (n,) + (1,) * (x.ndim - 1)
    for _ in range(max(1, math.ceil(math.log2(1.0 / threshold)))):
        mid = (lo + hi) / 2
        sat = oracle.adversarial((1 - mid.view(view)) * x + mid.view(view) * adv, cls, idx)
        hi = torch.where(sat, mid, hi)
        lo = torch.where(sat, lo, mid)
    return (1 - hi.view(view)) * x + hi.view(view) * adv


def _initial(oracle, x, cls, idx, init_size, clip, gen, pool_x, pool_pred):
    """An adversarial start per point: uniform draws in the clip box, the first
    adversarial one of up to ``init_size`` (ART's rule); for a point with none
    (a model that gives one label to almost all of the box), the nearest point of
    ``pool_x`` (the other attacked points, ``pool_pred`` their labels) that the
    model labels differently (ART would give up: distance 0). Then a binary
    search towards ``x`` (threshold 0.001, as ART). Returns (start, found)."""
    n, shape = x.shape[0], x.shape[1:]
    d = int(np.prod(shape))
    start = x.clone()
    found = torch.zeros(n, dtype=torch.bool, device=x.device)
    per_round = max(1, min(init_size, QUERY_ELEMENTS // max(1, n * d)))
    tried = 0
    while tried < init_size and not found.all():
        r = min(per_round, init_size - tried)
        todo = (~found).nonzero().squeeze(1)
        cand = torch.empty((r, len(todo), *shape), dtype=x.dtype, device=x.device)
        cand.uniform_(clip[0], clip[1], generator=gen)
        sat = oracle.adversarial(
            cand.reshape(r * len(todo), *shape), cls[todo].repeat(r), idx[todo].repeat(r)
        ).view(r, len(todo))
        hit = sat.any(dim=0)
        first = sat.float().argmax(dim=0)  # first adversarial draw of each point
        pick = todo[hit]
        start[pick] = cand[first[hit], hit.nonzero().squeeze(1)]
        found[pick] = True
        tried += r
    lost = (~found).nonzero().squeeze(1)
    if len(lost):
        gaps = torch.cdist(x[lost].reshape(len(lost), d), pool_x.reshape(len(pool_x), d))
        gaps[pool_pred.view(1, -1) == cls[lost].view(-1, 1)] = float("inf")
        near = gaps.argmin(dim=1)
        has = torch.isfinite(gaps[torch.arange(len(lost), device=x.device), near])
        start[lost[has]] = pool_x[near[has]]
        found[lost[has]] = True
    ok = found.nonzero().squeeze(1)
    if len(ok):
        start[ok] = _binary_search(oracle, x[ok], start[ok], cls[ok], idx[ok], 0.001)
    return start, found


def _gradient(oracle, cur, cls, idx, delta, num_eval, clip, gen) -> torch.Tensor:
    """Eq. (14) of HopSkipJump: the unit-norm Monte-Carlo estimate of the boundary
    normal at each ``cur`` from ``num_eval`` random unit directions, in chunks of
    points that keep a query batch under :data:`QUERY_ELEMENTS` floats."""
    n, shape = cur.shape[0], cur.shape[1:]
    d = int(np.prod(shape))
    chunk = max(1, QUERY_ELEMENTS // (num_eval * d))
    out = torch.empty((n, d), dtype=cur.dtype, device=cur.device)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        m = e - s
        u = torch.randn((m, num_eval, d), dtype=cur.dtype, device=cur.device, generator=gen)
        base = cur[s:e].reshape(m, 1, d)
        # z = clip(cur + delta * u / ||u||), in place: the tensors are the largest here
        z = torch.addcmul(base, u, delta[s:e].view(m, 1, 1) / u.norm(dim=2, keepdim=True))
        del u
        z.clamp_(*clip)
        sat = oracle.adversarial(
            z.view(m * num_eval, *shape),
            cls[s:e].repeat_interleave(num_eval),
            idx[s:e].repeat_interleave(num_eval),
            clipped=True,  # the largest queries: a second clamp would copy them
        ).view(m, 1, num_eval)
        f = sat.to(cur.dtype) * 2 - 1
        mean_f = f.mean(dim=2, keepdim=True)
        # All +1 or all -1: ART uses the plain (signed) mean direction.
        weight = torch.where(mean_f.abs() == 1, f, f - mean_f)
        # sum_e weight_e * (z_e - cur); ART's 1 / (num_eval * delta) is a positive
        # factor per point, removed by the normalisation below.
        grad = torch.bmm(weight, z.sub_(base)).view(m, d)
        out[s:e] = grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-30)
    return out.view(n, *shape)


def _inputs(x, y, clip, device):
    """The points and labels as tensors on ``device`` and the clip range, checked."""
    x = torch.as_tensor(x, dtype=torch.float32).to(device)
    y = torch.as_tensor(y, dtype=torch.int64).to(device)
    if x.shape[0] == 0:
        raise ValueError("HopSkipJump needs at least one point, got an empty set")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} points but y has {y.shape[0]} labels")
    lo, hi = float(clip[0]), float(clip[1])
    if not hi > lo:
        raise ValueError(f"clip range must have min < max, got {clip}")
    return x, y, lo, hi


def _iterate(oracle, xa, cur, ca, ia, budget, theta, gen, progress) -> torch.Tensor:
    """HopSkipJump's iterations from the boundary points ``cur`` of ``xa``:
    binary search, gradient estimate, geometric step size. ``budget``:
    (iterations, init_eval, max_eval)."""
    max_iter, init_eval, max_eval = budget
    lo, hi = oracle.clip
    k, d = len(xa), int(np.prod(xa.shape[1:]))
    for t in range(max_iter):
        dist = _rows((cur - xa).reshape(k, d))
        delta = torch.full_like(dist, 0.1 * (hi - lo)) if t == 0 else math.sqrt(d) * theta * dist
        cur = _binary_search(oracle, xa, cur, ca, ia, theta)
        num_eval = min(int(init_eval * math.sqrt(t + 1)), max_eval)
        grad = _gradient(oracle, cur, ca, ia, delta.clamp_min(1e-12), num_eval, (lo, hi), gen)
        dist = _rows((cur - xa).reshape(k, d))
        cur = _step(oracle, cur, grad, 2.0 * dist / math.sqrt(t + 1), ca, ia).clamp(lo, hi)
        if progress is not None and ((t + 1) % max(1, max_iter // 5) == 0 or t == 0):
            progress(
                f"iteration {t + 1}/{max_iter}: {num_eval} directions, median "
                f"distance {float(dist.median()):.4g}"
            )
    return cur


def _step(oracle, cur, grad, eps, ca, ia) -> torch.Tensor:
    """Geometric step search along ``grad``: per point, the first of ``eps / 2``,
    ``eps / 4``, ... (at most :data:`MAX_HALVINGS`) that stays adversarial."""
    nxt = cur.clone()
    pending = torch.ones(len(cur), dtype=torch.bool, device=cur.device)
    for _ in range(MAX_HALVINGS):
        eps = torch.where(pending, eps / 2, eps)
        p = pending.nonzero().squeeze(1)
        if not len(p):
            break
        cand = cur[p] + eps[p].view((len(p),) + (1,) * (cur.dim() - 1)) * grad[p]
        sat = oracle.adversarial(cand, ca[p], ia[p])
        nxt[p[sat]] = cand[sat]
        pending[p[sat]] = False
    return nxt


def _attack_correct(oracle, x, y, pred, act, budget, theta, gen, progress, out) -> None:
    """HopSkipJump on the correctly classified points ``act``: writes their
    distances (NaN without a start), adversarial points and found flags into
    ``out``. ``budget``: (init_size, max_iter, init_eval, max_eval)."""
    distance, x_adv, found = out
    init_size, *iters = budget
    xa, ca, ia = x[act], y[act], act
    cur, ok = _initial(oracle, xa, ca, ia, init_size, oracle.clip, gen, x, pred)
    keep = ok.nonzero().squeeze(1)
    if len(keep):
        xa, ca, ia, cur = xa[keep], ca[keep], ia[keep], cur[keep]
        cur = _iterate(oracle, xa, cur, ca, ia, tuple(iters), theta, gen, progress)
        cur = _binary_search(oracle, xa, cur, ca, ia, theta)
        x_adv[act[keep]], found[act[keep]] = cur, True
        distance[act[keep]] = _rows((cur - xa).reshape(len(keep), -1)).double()
    distance[act[~ok]] = float("nan")


def boundary_distance(
    model: Callable[[torch.Tensor], torch.Tensor],
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    *,
    clip: tuple[float, float],
    seed: int,
    max_iter: int = HSJ_DEFAULTS["max_iter"],
    max_eval: int = HSJ_DEFAULTS["max_eval"],
    init_eval: int = HSJ_DEFAULTS["init_eval"],
    init_size: int = HSJ_DEFAULTS["init_size"],
    progress: Callable[[str], None] | None = None,
    device: str | torch.device = "cpu",
) -> HSJResult:
    """Untargeted L2 HopSkipJump against the labels of ``model``, all points at once.

    Args:
        model: maps a ``(m, *shape)`` float32 batch to ``(m, C)`` logits; only the
            argmax is used.
        x: ``(n, *shape)`` points; ``y``: ``(n,)`` true labels.
        clip: (min, max) of the input domain; queries are clipped to it.
        seed: seed of the random starts and directions.
        max_iter, max_eval, init_eval, init_size: the query budget (ART's names).
        progress: called with a one-line status after the first iteration and
            after every fifth of them.
        device: where the points, queries and random numbers live (the model must
            accept batches on it); distances are deterministic per device.

    Returns:
        :class:`HSJResult`. A point the model misclassifies gets distance 0 and no
        queries beyond the first; every returned ``x_adv`` of a found point is
        classified differently from ``y``.
    """
    check_budget(max_iter, max_eval, init_eval, init_size)
    device = torch.device(device)
    x, y, lo, hi = _inputs(x, y, clip, device)
    n, d = x.shape[0], int(np.prod(x.shape[1:]))
    theta = 0.01 / math.sqrt(d)
    gen = torch.Generator(device=device).manual_seed(int(seed))
    oracle = _Oracle(model, n, (lo, hi), device)

    pred = oracle.labels(x)
    oracle.queries += 1
    mis = pred != y
    distance, x_adv = torch.zeros(n, dtype=torch.float64, device=device), x.clone()
    found = torch.zeros(n, dtype=torch.bool, device=device)

    act = (~mis).nonzero().squeeze(1)
    if len(act):
        budget = (init_size, max_iter, init_eval, max_eval)
        out = (distance, x_adv, found)
        _attack_correct(oracle, x, y, pred, act, budget, theta, gen, progress, out)
    return HSJResult(
        distance=distance.cpu().numpy(),
        x_adv=x_adv.cpu().numpy(),
        found=found.cpu().numpy(),
        misclassified=mis.cpu().numpy(),
        queries=oracle.queries.cpu().numpy(),
    )
