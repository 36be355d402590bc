"""Ablations (paper section 4.3): the maths against independent oracles, DP-SGD's
privacy accounting, and the workflow's guarantees (the ratio sweep and the K
curve retrain nothing, a targets_from variant trains no target)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, copy_workflow, planned_jobs, snakemake

from diffcal.attacks import ablations as ab
from diffcal.attacks import metrics
from diffcal.attacks.calibration import calibrate

ABL_TINY = "tests/data/ablations_tiny.yaml"
SHARED = Path(os.environ.get("DIFFCAL_DATA_DIR") or REPO.parent / "shared" / "data")


def roc_auc_score(y, s):
    """Pair-counting AUC: P(member score > non-member score) + ties / 2 (the oracle
    for diffcal.attacks.metrics.auc, which wraps scikit-learn)."""
    y, s = np.asarray(y, bool), np.asarray(s, float)
    sm, sn = s[y][:, None], s[~y][None, :]
    return float(np.mean((sm > sn) + 0.5 * (sm == sn)))


def average_precision_score(y, s):
    """Average precision by a loop over thresholds from the top (no ties):
    sum over members ranked k of precision@k / n_members."""
    order = np.argsort(-np.asarray(s, float), kind="stable")
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if y[i]:
            hits += 1
            total += hits / rank
    return total / np.sum(y)


def _toy(n_in=300, n_out=500, seed=0, shift=0.7):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_in, bool), np.zeros(n_out, bool)]
    s = rng.normal(size=len(y)) + shift * y
    return y, s


# ------------------------------------------------------------------- maths


@pytest.mark.parametrize("ratio", [1.0, 0.5, 0.2, 0.1])
def test_subsample_members_keeps_every_nonmember_and_the_ratio(ratio):
    y, _ = _toy(600, 500)
    keep = ab.subsample_members(y, ratio, seed=1)
    assert keep[~y].all()  # non-members untouched
    assert keep[y].sum() == round(ratio * 500)
    assert (keep == ab.subsample_members(y, ratio, seed=1)).all()  # seeded
    assert not (keep == ab.subsample_members(y, ratio, seed=2)).all() or ratio == 1.0


def test_subsample_members_with_fewer_members_than_nonmembers():
    y, _ = _toy(224, 225)
    keep = ab.subsample_members(y, 1.0, seed=0)
    assert keep[y].all() and keep[~y].sum() == 224  # exact 1:1 by dropping non-members


@pytest.mark.parametrize("ratio", [0.0, -0.5, 1.5])
def test_subsample_members_rejects_ratio_outside_unit_interval(ratio):
    with pytest.raises(ValueError, match="ratio must lie in"):
        ab.subsample_members(np.array([1, 0], bool), ratio, seed=0)


def test_ratio_metrics_against_sklearn_and_a_loop():
    y, s = _toy(seed=3)
    ty, ts = _toy(seed=4)
    row = ab.ratio_metrics(y, s, ty, ts, 0.2, seed_eval=5, seed_thr=6, recall_levels=[0.1])
    keep = ab.subsample_members(y, 0.2, seed=5)
    yk, sk = y[keep], s[keep]
    assert row["n_members"] == 100 and row["n_nonmembers"] == 500
    assert row["auc"] == pytest.approx(roc_auc_score(yk, sk))
    assert row["avg_precision"] == pytest.approx(average_precision_score(yk, sk))
    # tau at 1:1 from the full threshold set; tau at the ratio from its subsample
    assert row["tau_balanced"] == metrics.best_threshold(ty, ts)[0]
    tk = ab.subsample_members(ty, 0.2, seed=6)
    assert row["tau_matched"] == metrics.best_threshold(ty[tk], ts[tk])[0]
    for key, tau in (
        ("acc_balanced_tau", row["tau_balanced"]),
        ("acc_matched_tau", row["tau_matched"]),
    ):
        loop = sum((si > tau) == yi for si, yi in zip(sk, yk, strict=True)) / len(yk)
        assert row[key] == pytest.approx(loop)
    assert row["acc_all_nonmember"] == pytest.approx(500 / 600)
    # with a 1:5 prior the matched threshold predicts fewer members: higher accuracy
    assert row["acc_matched_tau"] >= row["acc_balanced_tau"]


def test_curves_on_grid_match_the_pointwise_metrics():
    y, s = _toy(seed=7)
    prec = ab.precision_on_grid(y, s)
    tpr = ab.tpr_on_grid(y, s)
    for r, p in zip(ab.RECALL_GRID[::10], prec[::10], strict=True):
        assert p == pytest.approx(metrics.precision_at_recall(y, s, r))
    for f, t in zip(ab.FPR_GRID[::8], tpr[::8], strict=True):
        assert t == pytest.approx(metrics.tpr_at_fpr(y, s, f))
    assert np.all(np.diff(prec) <= 1e-12) and np.all(np.diff(tpr) >= 0)


def test_k_curve_uses_the_first_k_references():
    rng = np.random.default_rng(0)
    y, target = _toy(100, 100, seed=1)
    refs = rng.normal(size=(5, 200))
    ty, tt = _toy(80, 80, seed=2)
    trefs = rng.normal(size=(5, 160))
    rows = ab.k_curve(y, target, refs, ty, tt, trefs, [1, 3, 5])
    assert [r["k"] for r in rows] == [1, 3, 5]
    for r in rows:
        k = r["k"]
        s = target - refs[:k].mean(0)  # independent: the first k, by hand
        assert r["auc"] == pytest.approx(roc_auc_score(y, s))
        tau = metrics.best_threshold(ty, tt - trefs[:k].mean(0))[0]
        assert r["tau"] == tau
        assert r["acc"] == pytest.approx(np.mean((s > tau) == y))
    # sign: per-sample difficulty d hides a membership shift of +0.5 in the raw
    # score; references that see d (not membership) remove it, so Cal > Orig
    d = rng.normal(size=200)
    s_orig = d + 0.5 * y + 0.3 * rng.normal(size=200)
    refs_d = d[None] + 0.3 * rng.normal(size=(3, 200))
    assert roc_auc_score(y, calibrate(s_orig, refs_d)) > roc_auc_score(y, s_orig) + 0.1
    with pytest.raises(ValueError, match="K = 6"):
        ab.k_curve(y, target, refs, ty, tt, trefs, [6])


# ------------------------------------------------------------------- DP-SGD


@pytest.mark.parametrize("epsilon", [1.0, 10.0, 100.0, 1000.0])
def test_dp_spends_the_requested_epsilon(epsilon):
    from diffcal.training.dp import train_dp
    from diffcal.training.models import build_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = build_model("mlp", (8,), 2, seed=1, hidden_mult=1)
    res = train_dp(
        model,
        x,
        y,
        recipe={"epochs": 2, "batch_size": 32, "lr": 0.1},
        dp={"epsilon": epsilon},
        seed=3,
    )
    assert abs(res.epsilon_spent - epsilon) <= 0.01 * epsilon
    assert res.epsilon_spent <= epsilon + 1e-9  # never more than asked for
    assert res.noise_multiplier > 0 and res.steps == 2 * 13


def test_dp_training_is_deterministic_and_rejects_bad_epsilon():
    import torch

    from diffcal.training.dp import train_dp
    from diffcal.training.models import build_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    states = []
    for _ in range(2):
        m = build_model("mlp", (6,), 2, seed=1, hidden_mult=1)
        train_dp(m, x, y, recipe={"epochs": 1, "batch_size": 32}, dp={"epsilon": 5}, seed=9)
        states.append(m.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    with pytest.raises(ValueError, match="dp.epsilon"):
        train_dp(m, x, y, recipe={"epochs": 1}, dp={"epsilon": 0}, seed=9)


@pytest.mark.parametrize("arch", ["mlp", "mnist_cnn"])
def test_dp_ghost_clipping_trains_the_same_model_as_per_sample_gradients(arch):
    """Oracle: Opacus' hooks mode materialises every per-sample gradient and clips
    it; ghost clipping (our default) only computes the norms. Same seeds, so the
    same Poisson batches, noise and dropout masks: the models agree up to float
    rounding. A batch size of 2 on 40 samples gives empty Poisson batches too."""
    import torch

    from diffcal.training.dp import train_dp
    from diffcal.training.models import build_model

    rng = np.random.default_rng(0)
    shape = (6,) if arch == "mlp" else (1, 28, 28)
    x = rng.normal(size=(40, *shape)).astype(np.float32)
    y = (x.reshape(40, -1)[:, 0] > 0).astype(np.int64)
    kwargs = {"hidden_mult": 1} if arch == "mlp" else {}
    states, results = [], []
    for mode in ("hooks", "ghost"):
        m = build_model(arch, shape, 2, seed=1, **kwargs)
        res = train_dp(
            m,
            x,
            y,
            recipe={"epochs": 2, "batch_size": 2, "lr": 0.1},
            dp={"epsilon": 50, "max_grad_norm": 0.5},
            seed=4,
            grad_sample_mode=mode,
        )
        states.append(m.state_dict())
        results.append(res)
    assert results[0] == results[1]  # same steps, noise multiplier, epsilon
    moved = 0.0
    for k, v in states[0].items():
        torch.testing.assert_close(states[1][k], v, rtol=1e-4, atol=1e-5)
        moved = max(
            moved,
            float((v - build_model(arch, shape, 2, seed=1, **kwargs).state_dict()[k]).abs().max()),
        )
    assert moved > 1e-2  # the models trained (a test of two untouched models says nothing)


def test_reference_variant_shares_only_identical_reference_models():
    from diffcal.config.load import load_config
    from diffcal.config.views import reference_variant

    cfg = load_config("config/ablations.yaml")
    for eps in ("eps1", "eps10", "eps100", "eps1000"):
        assert reference_variant(cfg, "adult", eps) == "plain"
        assert reference_variant(cfg, "mnist", eps) == "n1000"  # the same 1,000 members
    for v in ("plain", "n250", "k10_s10"):
        assert reference_variant(cfg, "adult", v) == v
    variants = cfg["datasets"]["adult"]["variants"]
    variants["eps1"]["dp"]["references"] = "private"  # DP references: its own
    variants["eps10"]["train"] = {"epochs": 5}  # another recipe: its own
    variants["eps100"]["references"] = {"scratch": 2}  # other references: its own
    variants["eps1000"]["targets_from"] = "plain"  # shadow from plain already
    for eps in ("eps1", "eps10", "eps100", "eps1000"):
        assert reference_variant(cfg, "adult", eps) == eps


def test_copy_models_refuses_a_file_trained_on_other_samples(tmp_path):
    from diffcal.training.model_files import ModelFileError, copy_models, save_models
    from diffcal.training.models import build_model

    spec = {"arch": "mlp", "input_shape": [4], "num_classes": 2, "kwargs": {}}
    entries = [
        {
            "split": t,
            "role": "shadow",
            "index": 0,
            "train_ids": np.arange(t, t + 5),
            "model": build_model("mlp", (4,), 2, seed=t),
        }
        for t in (0, 1)
    ]
    save_models(tmp_path / "a.pt", spec, entries)
    ok = {(0, 0): np.arange(0, 5), (1, 0): np.arange(1, 6)}
    copy_models(tmp_path / "a.pt", tmp_path / "b.pt", ok)
    assert (tmp_path / "b.pt").read_bytes() == (tmp_path / "a.pt").read_bytes()
    with pytest.raises(ModelFileError, match="other samples"):
        copy_models(tmp_path / "a.pt", tmp_path / "c.pt", {**ok, (1, 0): np.arange(2, 7)})
    with pytest.raises(ModelFileError, match="expected"):
        copy_models(tmp_path / "a.pt", tmp_path / "c.pt", {(0, 0): np.arange(0, 5)})
    assert not (tmp_path / "c.pt").exists()


def _claims_case(tmp_path, good: bool, std: float = 0.001) -> list[dict]:
    """Figure CSVs built so that every claim holds (``good``) or is contradicted, with
    every cell's std ``std`` over 5 splits (a large one makes every claim
    inconclusive)."""
    from diffcal.reporting.ablation_claims import claims

    sign = 1 if good else -1
    rows3 = [
        {
            "train_size": n,
            "attack": a,
            "auc_mean": 0.6
            + sign * (0.1 if n == 100 else 0.0)
            + (0.05 if a == "loss_cal" else 0.0) * sign,
            "acc_mean": 0.55
            + sign * (0.1 if n == 100 else 0.0)
            + (0.02 if a == "loss_cal" else 0.0) * sign,
        }
        for n in (100, 449)
        for a in ("loss_orig", "loss_cal")
    ]
    rows4 = [
        {
            "ratio": r,
            "attack": a,
            "acc_matched_tau_mean": 0.6 + sign * (0.1 if r < 1 else 0.0),
            "avg_precision_mean": 0.7 - sign * (0.3 if r < 1 else 0.0),
            "precision_at_recall_0.01_mean": (0.8 if a == "loss_cal" else 0.3) if good else 0.2,
        }
        for r in (1.0, 0.1)
        for a in ("loss_orig", "loss_cal")
    ]
    rows5 = [
        {
            "shadow_size": v,
            "k": k,
            "attack": a,
            "auc_mean": 0.6 + sign * (0.005 * k + (0.01 if v == 100 else 0.0)),
            "acc_mean": 0.55 + sign * (0.002 * k + (0.01 if v == 100 else 0.0)),
        }
        for v in (50, 100)
        for k in range(1, 11)
        for a in ("loss_cal", "loss_calf")
    ]
    rows6 = [
        {
            "epsilon_mean": e,
            "attack": a,
            "tpr_at_fpr_0.01_mean": (0.05 if good else 0.01) if a == "loss_cal" else 0.01,
            "auc_mean": 0.5 + (0.0 if good else 0.1) + (0.0 if e <= 1 else 0.05),
            "test_acc_mean": 0.8 + sign * 0.01 * np.log10(e),
        }
        for e in (1.0, 100.0, 1000.0)
        for a in ("loss_orig", "loss_cal")
    ]
    paths = {}
    for fig, rows in (("3", rows3), ("4", rows4), ("5", rows5), ("6", rows6)):
        paths[fig] = tmp_path / f"fig{fig}_{good}_{std}.csv"
        df = pd.DataFrame(rows)
        for col in [c for c in df.columns if c.endswith("_mean") and c != "epsilon_mean"]:
            df[col[: -len("_mean")] + "_std"] = std
        df.assign(n_splits=5).to_csv(paths[fig], index=False)
    return claims(*({"toy": str(paths[f])} for f in "3456"))


def test_ablation_claims_verdicts_on_constructed_cases(tmp_path):
    """One constructed case per verdict: every claim holds, is contradicted, or (the
    same means with a std of 0.5 over 5 splits) is inconclusive; each effect is
    given with its interval."""
    good, bad = _claims_case(tmp_path, True), _claims_case(tmp_path, False)
    noisy = _claims_case(tmp_path, True, std=0.5)
    assert [c["claim"] for c in good] == [c["claim"] for c in bad] and len(good) == 15
    assert [c["claim"] for c in noisy] == [c["claim"] for c in good]
    for case, verdict in ((good, "holds"), (bad, "contradicted"), (noisy, "inconclusive")):
        assert [(c["figure"], c["verdict"]) for c in case] == [(c["figure"], verdict) for c in case]
        assert all(" [" in c["evidence"] for c in case)


# ------------------------------------------------------------------- workflow


@pytest.fixture(scope="module")
def abl_run(tmp_path_factory) -> Path:
    wd = copy_workflow(tmp_path_factory.mktemp("abl"))
    snakemake(wd, "all", "--cores", "2", "--configfile", ABL_TINY)
    return wd


@pytest.mark.slow
def test_ablation_outputs_exist(abl_run):
    out = abl_run / "results/ablations/ablations_tiny"
    for f in [
        "digits/fig3_train_size",
        "digits/plain/fig4_ratio",
        "digits/fig5_references",
        "digits/fig6_dp",
    ]:
        for ext in ("png", "pdf", "csv"):
            assert (out / f"{f}.{ext}").stat().st_size > 0
    fig3 = pd.read_csv(out / "digits/fig3_train_size.csv")
    assert sorted(set(fig3["train_size"])) == [100, 200, 449]
    assert {"auc_mean", "auc_std", "acc_mean", "acc_std", "n_splits"} <= set(fig3.columns)
    fig5 = pd.read_csv(out / "digits/fig5_references.csv")
    assert sorted(set(fig5["k"])) == [1, 2, 3] and set(fig5["attack"]) == {"loss_cal", "loss_calf"}
    md = (out / "ablations.md").read_text()
    # every claim of the run is in the document, with its own verdict
    from diffcal.reporting.ablation_claims import claims, doc_inputs_from_dir

    inputs = doc_inputs_from_dir(str(out))
    for c in claims(inputs["fig3"], inputs["fig4"], inputs["fig5"], inputs["fig6"]):
        assert f"| {c['figure']} | {c['dataset']} | {c['claim']} | **{c['verdict']}** |" in md


@pytest.mark.slow
def test_fig3_numbers_recompute_from_metrics(abl_run):
    fig3 = pd.read_csv(abl_run / "results/ablations/ablations_tiny/digits/fig3_train_size.csv")
    m = pd.read_csv(abl_run / "results/digits/n100/split0-1/metrics.csv")
    row = fig3[(fig3["train_size"] == 100) & (fig3["attack"] == "loss_cal")].iloc[0]
    auc = m.loc[m["attack"] == "loss_cal", "auc"]
    assert row["auc_mean"] == pytest.approx(auc.mean())
    assert row["auc_std"] == pytest.approx(auc.std(ddof=1))


@pytest.mark.slow
def test_dp_models_spent_their_epsilon_and_shadow_is_not_private(abl_run):
    from diffcal.training.model_files import load_models

    for eps in (1, 100):
        base = abl_run / f"results/digits/eps{eps}/split0-1/models"
        targets = load_models(base / "target.pt")[1]
        assert len(targets) == 2
        for e in targets:
            assert abs(e["dp_epsilon_spent"] - eps) <= 0.01 * eps
        # dp.references defaults to nonprivate: the attacker's shadow has no DP
        assert all("dp_epsilon" not in e for e in load_models(base / "shadow.pt")[1])


@pytest.mark.slow
def test_dp_variant_with_the_plain_references_trains_none_of_them(abl_run):
    """eps1 has plain's split, recipes and references: its shadow and shadow
    forgetting references are byte copies of plain's, its scratch references and
    forgetting tuning are plain's files; eps100 (1 reference of each kind) trains its own."""
    res = abl_run / "results/digits"
    eps1, plain, eps100 = (res / f"{v}/split0-1" for v in ("eps1", "plain", "eps100"))
    copied = [
        "models/shadow.pt",
        *(f"models/{p.name}" for p in plain.glob("models/forget_shadow*")),
    ]
    assert len(copied) == 2
    for f in copied:
        assert (eps1 / f).read_bytes() == (plain / f).read_bytes()
    assert not list(eps1.glob("models/scratch*.pt"))
    assert not (eps1 / "forget_tuning.json").exists()
    assert list(eps100.glob("models/scratch*.pt"))
    log = (abl_run / "logs/digits/eps1/split0-1/train_base.log").read_text()
    assert "shadow: the same models as results/digits/plain/split0-1/models/shadow.pt" in log
    # eps1's scores of the scratch references are plain's (same models, same samples)
    cols = ["model", "ref", "sample_id", "loss"]
    a, b = (pd.read_parquet(d / "scores.parquet", columns=cols) for d in (eps1, plain))
    a, b = (x[x["model"] == "scratch"].reset_index(drop=True) for x in (a, b))
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_targets_from_variant_trains_no_target(abl_run):
    ref = abl_run / "results/digits/ref30/split0-1"
    assert not (ref / "models/target.pt").exists() and not (ref / "split.parquet").exists()
    assert list(ref.glob("models/scratch*.pt"))
    sc = pd.read_parquet(ref / "scores.parquet", columns=["model", "ref", "loss"])
    plain = pd.read_parquet(
        abl_run / "results/digits/plain/split0-1/scores.parquet", columns=["model", "ref", "loss"]
    )
    # the same target (plain's) is scored in both
    a, b = sc[sc["model"] == "target"]["loss"], plain[plain["model"] == "target"]["loss"]
    assert np.array_equal(a.to_numpy(), b.to_numpy())


@pytest.mark.slow
def test_second_invocation_plans_nothing(abl_run):
    assert planned_jobs(abl_run, "all", "--configfile", ABL_TINY) == []


def _variant_cfg(wd: Path, edit) -> str:
    cfg = yaml.safe_load((wd / ABL_TINY).read_text())
    edit(cfg)
    (wd / "edited.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))  # same row order
    return "edited.yaml"


@pytest.mark.slow
def test_adding_a_ratio_retrains_and_rescores_nothing(abl_run):
    cfg = _variant_cfg(
        abl_run, lambda c: c["ablations"]["ratio"].update(ratios=[1.0, 0.5, 0.2, 0.1])
    )
    jobs = {rule for rule, _ in planned_jobs(abl_run, "all", "--configfile", cfg)}
    assert jobs == {"fig_ratio", "ablations_doc"}


@pytest.mark.slow
def test_changing_k_retrains_nothing(abl_run):
    cfg = _variant_cfg(abl_run, lambda c: c["ablations"]["references"].update(max_k=2))
    jobs = {rule for rule, _ in planned_jobs(abl_run, "all", "--configfile", cfg)}
    assert jobs == {"fig_references", "ablations_doc"}


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "cifar10-subset").exists(), reason="no CIFAR-10 subset")
def test_cifar10_ablations_smoke_on_the_subset(tmp_path):
    """config/ablations_cifar10.yaml shrunk to one split, one epoch, a few hundred
    samples and one variant per family member, on the 5,000-image subset: every
    rule of every figure runs (DP-SGD on the CIFAR CNN included)."""
    wd = copy_workflow(tmp_path)
    cfg = yaml.safe_load((REPO / "config/ablations_cifar10.yaml").read_text())
    ds = cfg["datasets"].pop("cifar10")
    ds.update(source="cifar10_subset", splits=1, splits_per_job=1)
    ds["train"].update(epochs=1, batch_size=64)
    ds["forget"].update(epochs=1)
    ds["forget_tuning"] = {"lr": [0.01]}
    ds["score"] = {"batch_size": 256}
    ds["resources"] = {"threads": 1, "mem_mb": 2000, "runtime": 10, "gpu": 0}
    keep = {"plain": 200, "n1500": 100, "k10_s10": None, "eps1": 200}
    ds["variants"] = {v: ds["variants"][v] for v in keep}
    for v, n in keep.items():
        if n is not None:
            ds["variants"][v]["train_size"] = n
    ds["variants"]["k10_s10"]["references"].update(scratch=2, forget=2)
    cfg["datasets"] = {"cifar10_subset": ds}
    cfg["ablations"] = {
        "train_size": {"cifar10_subset": ["n1500", "plain"]},
        "ratio": {**cfg["ablations"]["ratio"], "datasets": {"cifar10_subset": ["plain"]}},
        "references": {"max_k": 2, "datasets": {"cifar10_subset": ["k10_s10"]}},
        "dp": {"cifar10_subset": ["plain", "eps1"]},
    }
    cfg.update(name="ablations_smoke", data_dir=str(SHARED))
    (wd / "smoke.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "all", "--cores", "2", "--configfile", "smoke.yaml", timeout=1500)
    out = wd / "results/ablations/ablations_smoke"
    assert (out / "ablations.md").exists()
    fig6 = pd.read_csv(out / "cifar10_subset/fig6_dp.csv")
    spent = fig6.dropna(subset=["epsilon_spent_mean"])
    spent = spent[np.isfinite(spent["epsilon_mean"])]
    assert (
        len(spent)
        and (
            abs(spent["epsilon_spent_mean"] - spent["epsilon_mean"]) <= 0.01 * spent["epsilon_mean"]
        ).all()
    )


@pytest.mark.skipif(not (REPO / "docs/ablations").exists(), reason="no committed ablations")
def test_docs_ablations_regenerate_from_their_csvs(tmp_path):
    """docs/ablations/ablations.md is what rule ablations_doc writes from the CSVs
    committed next to it (copied from the run docs/ablations.md names)."""
    import shutil

    from diffcal.reporting.ablation_claims import doc_inputs_from_dir
    from diffcal.stages.ablations_doc import run_ablations_doc

    copy = tmp_path / "abl"
    shutil.copytree(REPO / "docs/ablations", copy)
    committed = (copy / "ablations.md").read_text()
    name = committed.splitlines()[0].split("`")[1]
    run_ablations_doc(name=name, out_md=str(copy / "ablations.md"), **doc_inputs_from_dir(copy))
    assert (copy / "ablations.md").read_text() == committed


# ------------------------------------------------------------- one-run audit


def test_canaries_are_seeded_nonmembers_with_fair_coins():
    from diffcal.attacks.one_run import draw_canaries

    pool = np.arange(1000, 3000)
    ids, inc = draw_canaries(pool, 1500, seed=5)
    assert len(set(ids)) == 1500 and set(ids) <= set(pool)
    again = draw_canaries(pool, 1500, seed=5)
    assert np.array_equal(ids, again[0]) and np.array_equal(inc, again[1])
    assert 0.45 < inc.mean() < 0.55
    with pytest.raises(ValueError, match="one_run.canaries"):
        draw_canaries(pool[:10], 11, seed=0)


def test_one_run_table_counts_guesses_as_a_loop_does():
    from diffcal.attacks.one_run import canary_scores, one_run_table
    from diffcal.stats.privacy import one_run_epsilon_lower_bound

    rng = np.random.default_rng(0)
    m = 400
    inc = rng.random(m) < 0.5
    ids = np.arange(m) + 10
    loss = rng.exponential(size=m) * np.where(inc, 0.5, 1.0)  # included: lower loss
    ref = pd.DataFrame(
        {
            "split": 0,
            "model": "scratch",
            "sample_id": np.r_[ids, ids],
            "loss": np.r_[loss * 0 + 1.0, loss * 0 + 3.0],
        }
    )
    canaries = pd.DataFrame({"sample_id": ids, "included": inc, "loss": loss})
    s = canary_scores(canaries, ref, 0)
    np.testing.assert_allclose(s["loss_orig"], -loss)
    np.testing.assert_allclose(s["loss_cal"], -(loss - 2.0))  # mean of the two references
    table = one_run_table(s, inc, [200, 400], [10, 50, 150], delta=1e-5)
    assert len(table) == 2 * 5  # (200, 150) has 2k > m
    for row in table.itertuples():
        sc = s[row.score][: row.m]
        order = sorted(range(row.m), key=lambda i: sc[i])  # a per-canary loop
        correct = sum(inc[i] for i in order[-row.k :]) + sum(not inc[i] for i in order[: row.k])
        assert (row.guesses, row.correct) == (2 * row.k, correct)
        assert row.epsilon_lb == one_run_epsilon_lower_bound(2 * row.k, correct, 0.05)
        assert row.epsilon_lb_any == one_run_epsilon_lower_bound(2 * row.k, correct, 0.05 / 5)
        assert row.epsilon_lb_any <= row.epsilon_lb
        # the (epsilon, delta) form on the row's m canaries, below the pure one
        assert row.epsilon_lb_delta == one_run_epsilon_lower_bound(
            2 * row.k, correct, 0.05, delta=1e-5, m=row.m
        )
        assert row.epsilon_lb_delta_any <= row.epsilon_lb_delta <= row.epsilon_lb
    assert table["epsilon_lb"].max() > 0  # the included canaries do have lower losses
    with pytest.raises(ValueError, match="no scratch reference"):
        canary_scores(canaries, ref.assign(model="forget_target"), 0)


@pytest.mark.slow
def test_one_run_audit_trains_one_model_and_recomputes(abl_run, tmp_path):
    """The canary target trains on the members plus the included
    canaries, with DP; the guesses recompute from the Parquet files; auditing one
    more variant trains its canary target and nothing else."""
    import shutil

    from diffcal.training.model_files import load_models

    base = abl_run / "results/digits/eps100"
    c = pd.read_parquet(base / "one_run/canaries.parquet")
    split = pd.read_parquet(base / "split0-1/split.parquet")
    s0 = split[split["split"] == 0]
    assert len(c) == 200 and set(c["sample_id"]) <= set(s0[s0["role"] == "nonmember"]["sample_id"])
    entry = load_models(base / "one_run/canary_target.pt")[1][0]
    want = set(s0[s0["role"] == "member"]["sample_id"]) | set(c[c["included"]]["sample_id"])
    assert set(entry["train_ids"]) == want
    assert abs(entry["dp_epsilon_spent"] - 100) <= 1
    table = pd.read_csv(base / "one_run/one_run.csv")
    row = table[(table["score"] == "loss_orig") & (table["m"] == 200) & (table["k"] == 50)].iloc[0]
    s = -c["loss"].to_numpy()
    order = np.argsort(s, kind="stable")
    inc = c["included"].to_numpy()
    assert row["correct"] == inc[order[-50:]].sum() + (~inc[order[:50]]).sum()
    md = (abl_run / "results/ablations/ablations_tiny/one_run.md").read_text()
    assert "| digits | eps100 | 100 | loss_cal |" in md
    wd = shutil.copytree(abl_run, tmp_path / "wd", symlinks=True)
    cfg_path = wd / ABL_TINY
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["ablations"]["one_run"]["datasets"]["digits"].append("eps1")
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # variants keep their order
    planned = planned_jobs(wd, "all", "--configfile", ABL_TINY)
    assert sorted(r for r, _ in planned) == ["one_run_audit", "one_run_report", "train_canary"]
    assert all(w.get("variant", "eps1") == "eps1" for _, w in planned)
