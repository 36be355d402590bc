"""HopSkipJump (diffcal.attacks.hsj) against closed forms and against ART's implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from diffcal.attacks.calibration import calibrate
from diffcal.attacks.evaluate import label_only_attacks
from diffcal.attacks.hsj import boundary_distance

D = 20


def linear_model(seed: int = 0):
    """Two-class linear classifier: logits (0, w.x + b); the L2 distance of x to its
    boundary is |w.x + b| / ||w|| (closed form)."""
    g = torch.Generator().manual_seed(seed)
    w, b = torch.randn(D, generator=g), torch.tensor(0.3)

    def model(z):
        s = z.reshape(len(z), -1) @ w + b
        return torch.stack([torch.zeros_like(s), s], dim=1)

    def distance(x):
        return ((x @ w + b).abs() / w.norm()).numpy()

    return model, distance


def points(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, D, generator=torch.Generator().manual_seed(seed))


def test_linear_boundary_distance_matches_closed_form():
    model, exact = linear_model()
    x = points(64)
    y = model(x).argmax(1)
    r = boundary_distance(model, x, y, clip=(-8.0, 8.0), seed=3, max_iter=15, max_eval=1000)
    true = exact(x)
    assert r.found.all() and not r.misclassified.any()
    # every returned point is adversarial, so no distance can undercut the exact one
    assert (r.distance >= true * (1 - 1e-4)).all()
    assert np.median(r.distance / true) < 1.02 and (r.distance / true).max() < 1.1
    assert (model(torch.tensor(r.x_adv)).argmax(1) != y).all()
    np.testing.assert_allclose(r.distance, np.linalg.norm(r.x_adv - x.numpy(), axis=1), rtol=1e-5)


def test_misclassified_points_get_zero_and_results_are_seeded():
    model, _ = linear_model()
    x = points(40)
    y = model(x).argmax(1)
    y[:7] = 1 - y[:7]  # the model now misclassifies these seven
    a = boundary_distance(model, x, y, clip=(-8.0, 8.0), seed=5, max_iter=5, max_eval=300)
    b = boundary_distance(model, x, y, clip=(-8.0, 8.0), seed=5, max_iter=5, max_eval=300)
    c = boundary_distance(model, x, y, clip=(-8.0, 8.0), seed=6, max_iter=5, max_eval=300)
    assert a.misclassified[:7].all() and not a.misclassified[7:].any()
    assert (a.distance[:7] == 0).all() and (a.distance[7:] > 0).all()
    assert (a.queries[:7] == 1).all() and (a.queries[7:] > 1).all()
    np.testing.assert_array_equal(a.distance, b.distance)
    np.testing.assert_array_equal(a.x_adv, b.x_adv)
    assert not np.array_equal(a.distance[7:], c.distance[7:])


def test_start_falls_back_to_other_points_when_the_box_has_one_label():
    """A model that labels all of the box 0 except a thin slab: random draws never
    hit label 1, so points of label 0 start from the nearest point labelled 1."""

    def model(z):
        s = (z[:, 0] > 0.95).float() * 10 - 5
        return torch.stack([torch.zeros_like(s), s], dim=1)

    x = torch.rand(30, D, generator=torch.Generator().manual_seed(0)) * 0.9
    x[:3, 0] = 0.99  # three points in the slab (label 1)
    y = model(x).argmax(1)
    r = boundary_distance(
        model, x, y, clip=(0.0, 1.0), seed=0, max_iter=5, max_eval=200, init_size=5
    )
    assert r.found.all()
    assert (model(torch.tensor(r.x_adv)).argmax(1) != y).all()
    # label-0 points: the boundary is the plane x0 = 0.95
    np.testing.assert_array_less(0.95 - x[3:, 0].numpy() - 1e-4, r.distance[3:])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"max_eval": -5}, "max_eval must be a positive integer"),
        ({"init_eval": 200, "max_eval": 100}, "init_eval (200) exceeds max_eval (100)"),
    ],
)
def test_bad_budget_is_one_clear_error(kwargs, message):
    model, _ = linear_model()
    with pytest.raises(ValueError, match="HopSkipJump") as e:
        boundary_distance(
            model, points(3), torch.zeros(3, dtype=torch.long), clip=(-1, 1), seed=0, **kwargs
        )
    assert message in str(e.value) and "\n" not in str(e.value)


def test_non_finite_logits_and_empty_sets_are_refused():
    def nan_model(z):
        return torch.full((len(z), 2), float("nan"))

    with pytest.raises(ValueError, match="non-finite logits"):
        boundary_distance(
            nan_model, points(3), torch.zeros(3, dtype=torch.long), clip=(-1, 1), seed=0
        )
    model, _ = linear_model()
    with pytest.raises(ValueError, match="at least one point"):
        boundary_distance(
            model, torch.zeros(0, D), torch.zeros(0, dtype=torch.long), clip=(-1, 1), seed=0
        )


def test_label_only_calibration_equals_per_sample_loop():
    """boundary_cal / boundary_calf: target distance minus the mean distance of the
    references of the same sample (eq. 5), checked against a loop over samples."""
    rng = np.random.default_rng(0)
    sp = pd.DataFrame(
        {"sample_id": np.arange(12), "role": ["member", "nonmember", "shadow_in", "shadow_out"] * 3}
    )
    rows = []
    sets = {
        "target": [0, 1, 4, 5, 8, 9],
        "forget_target": [0, 1, 4, 5, 8, 9],
        "shadow": [2, 3, 6, 7, 10, 11],
        "forget_shadow": [2, 3, 6, 7, 10, 11],
        "scratch": list(range(12)),
    }
    for model, ids in sets.items():
        for ref in range(2 if model in ("scratch", "forget_target", "forget_shadow") else 1):
            for i in ids:
                rows.append(
                    {
                        "model": model,
                        "ref": ref,
                        "sample_id": i,
                        "distance": float(rng.uniform(0, 3)),
                    }
                )
    lo = pd.DataFrame(rows)
    out = label_only_attacks(lo, sp, {"calibrations": ["orig", "cal", "calf"]})
    ids, member, att = out["eval"]
    assert ids.tolist() == [0, 1, 4, 5, 8, 9] and member.tolist() == [True, False] * 3

    def dist(model, i, ref=0):
        r = lo[(lo["model"] == model) & (lo["sample_id"] == i) & (lo["ref"] == ref)]
        return float(r["distance"].iloc[0])

    for j, i in enumerate(ids):
        assert att["boundary_orig"][j] == dist("target", i)
        cal = dist("target", i) - (dist("scratch", i, 0) + dist("scratch", i, 1)) / 2
        calf = dist("target", i) - (dist("forget_target", i, 0) + dist("forget_target", i, 1)) / 2
        assert att["boundary_cal"][j] == pytest.approx(cal)
        assert att["boundary_calf"][j] == pytest.approx(calf)
    # the threshold set uses the shadow and its own forgetting references
    t_ids, _, t_att = out["threshold"]
    ref = np.stack([[dist("forget_shadow", i, k) for i in t_ids] for k in range(2)])
    np.testing.assert_allclose(
        t_att["boundary_calf"], calibrate(np.array([dist("shadow", i) for i in t_ids]), ref)
    )


def _mlp_and_points(n: int, seed: int = 0):
    """A small trained MLP (two classes, 20 features) and ``n`` of its test points."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(600, D, generator=g)
    y = ((x[:, :5].sum(1) + 0.3 * torch.randn(600, generator=g)) > 2.5).long()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(D, 40), torch.nn.ReLU(), torch.nn.Linear(40, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[:500]), y[:500]).backward()
        opt.step()
    return model.eval(), x[500 : 500 + n], y[500 : 500 + n]


def art_distances(model, x, y, *, clip, seed, **budget):
    """Distances from ART 1.20's HopSkipJump, with the label-only rule applied to
    its output (0 for a misclassified point). Returns (distances, x_adv)."""
    import art
    from art.attacks.evasion import HopSkipJump
    from art.estimators.classification import PyTorchClassifier

    class Float32(torch.nn.Module):  # ART's binary search promotes to float64
        def forward(self, z):
            return z.float()

    clf = PyTorchClassifier(
        torch.nn.Sequential(Float32(), model),
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=tuple(x.shape[1:]),
        nb_classes=2,
        clip_values=clip,
    )
    np.random.seed(seed)  # noqa: NPY002 (ART draws from numpy's global generator)
    attack = HopSkipJump(clf, norm=2, verbose=False, **budget)
    x_np = x.numpy().astype(np.float32)
    x_adv = attack.generate(x_np)
    assert art.__version__
    pred = clf.predict(x_np).argmax(1)
    dist = np.linalg.norm((x_adv - x_np).reshape(len(x_np), -1), axis=1)
    return np.where(pred != y.numpy(), 0.0, dist), x_adv


def test_matches_art_hopskipjump_at_equal_budget():
    """Same model, points and budget: our median distance within 5 % of ART's or
    smaller, every perturbed point really changes the label, and misclassified
    points get 0 from both."""
    model, x, y = _mlp_and_points(40)
    budget = {"max_iter": 10, "max_eval": 1000, "init_eval": 100, "init_size": 100}
    ours = boundary_distance(model, x, y, clip=(0.0, 1.0), seed=0, **budget)
    theirs, _ = art_distances(model, x, y, clip=(0.0, 1.0), seed=0, **budget)
    with torch.no_grad():
        mis = (model(x).argmax(1) != y).numpy()
        adv_pred = model(torch.tensor(ours.x_adv)).argmax(1).numpy()
    assert mis.any() and (~mis).sum() >= 20  # both cases are exercised
    assert (ours.distance[mis] == 0).all() and (theirs[mis] == 0).all()
    assert (adv_pred[ours.found] != y.numpy()[ours.found]).all()
    assert ours.found[~mis].all()
    assert np.median(ours.distance[~mis]) <= 1.05 * np.median(theirs[~mis])


def test_label_only_stage_writes_nothing_on_non_finite_logits(tmp_path):
    """A model whose logits are NaN stops the stage with one line, and no file
    (not even a partial one) is left under the output name."""
    from diffcal.core.io import write_parquet
    from diffcal.data.prepared import Prepared, save_prepared
    from diffcal.data.splits import make_split
    from diffcal.stages.label_only import run_label_only
    from diffcal.training.model_files import save_models
    from diffcal.training.models import new_model

    rng = np.random.default_rng(0)
    data = Prepared(
        x=rng.normal(size=(80, 4)).astype(np.float32), y=rng.integers(0, 2, 80), num_classes=2
    )
    save_prepared(data, tmp_path / "data.npz")
    write_parquet(make_split(80, seed=0).assign(split=np.int16(0)), tmp_path / "split.parquet")
    spec = {"arch": "mlp", "kwargs": {"hidden_mult": 1}, "input_shape": [4], "num_classes": 2}
    models = {}
    for name in ("target", "shadow", "scratch", "forget_target", "forget_shadow"):
        model = new_model(spec, seed=0)
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(float("nan") if name == "scratch" else 0.1)
        save_models(tmp_path / f"{name}.pt", spec, [{"model": model, "split": 0, "index": 0}])
        models[name] = str(tmp_path / f"{name}.pt")
    out = tmp_path / "label_only.parquet"
    with pytest.raises(ValueError, match="non-finite logits") as e:
        run_label_only(
            data=str(tmp_path / "data.npz"),
            split=str(tmp_path / "split.parquet"),
            models=models,
            out=str(out),
            seeds={"root_seed": 1, "key": "x"},
            cfg={"points": 5, "max_iter": 2, "max_eval": 50, "init_eval": 10, "init_size": 5},
        )
    assert "\n" not in str(e.value)
    assert not out.exists() and not list(tmp_path.glob(".label_only*"))
