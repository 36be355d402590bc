"""Ablations (paper section 4.3): the maths against independent oracles, DP-SGD's
privacy accounting, and the workflow's guarantees (the ratio sweep and the K
curve retrain nothing, a targets_from variant trains no target)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, SHARED, copy_workflow, planned_jobs, snakemake

ABL_TINY = "tests/data/ablations_tiny.yaml"


@pytest.fixture(scope="module")
def abl_run(tmp_path_factory) -> Path:
    wd = copy_workflow(tmp_path_factory.mktemp("abl"))
    snakemake(wd, "all", "--cores", "2", "--configfile", ABL_TINY)
    return wd


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
    for ext in ("png", "pdf"):
        assert (out / f"digits/fig6_tradeoff.{ext}").stat().st_size > 0
    fig6 = pd.read_csv(out / "digits/fig6_dp.csv")
    assert (fig6["delta"] == 1e-5).all()
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


def test_fig3_numbers_recompute_from_metrics(abl_run):
    fig3 = pd.read_csv(abl_run / "results/ablations/ablations_tiny/digits/fig3_train_size.csv")
    m = pd.read_csv(abl_run / "results/digits/n100/split0-1/metrics.csv")
    row = fig3[(fig3["train_size"] == 100) & (fig3["attack"] == "loss_cal")].iloc[0]
    auc = m.loc[m["attack"] == "loss_cal", "auc"]
    assert row["auc_mean"] == pytest.approx(auc.mean())
    assert row["auc_std"] == pytest.approx(auc.std(ddof=1))


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


def test_second_invocation_plans_nothing(abl_run):
    assert planned_jobs(abl_run, "all", "--configfile", ABL_TINY) == []


def _variant_cfg(wd: Path, edit) -> str:
    cfg = yaml.safe_load((wd / ABL_TINY).read_text())
    edit(cfg)
    (wd / "edited.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))  # same row order
    return "edited.yaml"


def test_adding_a_ratio_retrains_and_rescores_nothing(abl_run):
    cfg = _variant_cfg(
        abl_run, lambda c: c["ablations"]["ratio"].update(ratios=[1.0, 0.5, 0.2, 0.1])
    )
    jobs = {rule for rule, _ in planned_jobs(abl_run, "all", "--configfile", cfg)}
    assert jobs == {"fig_ratio", "ablations_doc"}


def test_changing_k_retrains_nothing(abl_run):
    cfg = _variant_cfg(abl_run, lambda c: c["ablations"]["references"].update(max_k=2))
    jobs = {rule for rule, _ in planned_jobs(abl_run, "all", "--configfile", cfg)}
    assert jobs == {"fig_references", "ablations_doc"}


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
    rdp = f"{entry['dp_epsilon_spent']:.3g}"
    assert f"| digits | eps100 | natural | {rdp} / " in md
    # guesses by threshold: each form recomputes from the canaries' losses
    from diffcal.stats.bound_strategies import one_run_bonferroni

    bounds = pd.read_csv(base / "one_run/one_run_bounds.csv").set_index("score")
    forms = {"pure": {}, "delta": {"delta": 1e-5}, "fdp": {"delta": 1e-5, "fdp": True}}
    for form, kwargs in forms.items():
        eps, _, r, v, k = one_run_bonferroni(s, inc, **kwargs)
        got = bounds.loc["loss_orig"]
        assert (got[f"epsilon_lb_{form}"], got[f"guesses_{form}"], got["thresholds"]) == (eps, r, k)
    assert "## Guesses by threshold, three forms" in md
    # every DP target: promised against shown, Figure 6's best attack beside the one run
    fig6 = pd.read_csv(abl_run / "results/ablations/ablations_tiny/digits/fig6_dp.csv")
    promised = md.split("## Promised against shown, every DP target")[1]
    (row,) = [ln for ln in promised.splitlines() if ln.startswith("| digits | eps100 |")]
    best_cp = fig6.loc[fig6["variant"] == "eps100", "epsilon_lb_mean"].max()
    assert row.split(" | ")[3].startswith(f"{best_cp:.3f} (")
    both = pd.read_csv(abl_run / "results/ablations/ablations_tiny/one_run_bounds.csv")
    assert row.split(" | ")[6].startswith(f"{both['epsilon_lb_fdp'].max():.3f} (")
    # the caps: a perfect attack on the same samples, by the same functions
    from diffcal.stats.bound_strategies import epsilon_bound

    f = fig6[fig6["variant"] == "eps100"].iloc[0]
    y = np.r_[
        np.ones(int(f["n_eval_members_mean"]), bool),
        np.zeros(int(f["n_eval_nonmembers_mean"]), bool),
    ]
    inc = np.arange(200) < int(both["included"].iloc[0])
    caps = (
        f"{epsilon_bound(y.astype(float), y, delta=1e-5).epsilon:.2f} / "
        f"{one_run_bonferroni(inc.astype(float), inc, delta=1e-5, fdp=True)[0]:.2f}"
    )
    assert row.split(" | ")[7] == caps + " |"
    wd = shutil.copytree(abl_run, tmp_path / "wd", symlinks=True)
    cfg_path = wd / ABL_TINY
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["ablations"]["one_run"]["datasets"]["digits"].append("eps1")
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # variants keep their order
    planned = planned_jobs(wd, "all", "--configfile", ABL_TINY)
    assert sorted(r for r, _ in planned) == [
        *["one_run_audit"] * 2,
        "one_run_report",
        *["train_canary"] * 2,
    ]
    assert all(w.get("variant", "eps1") == "eps1" for _, w in planned)


def test_mislabelled_canaries_train_on_their_wrong_labels(abl_run):
    """Mislabelled canaries: the same draw and coins as the natural ones, each with
    a label other than its own; the canary target trains on those labels; its loss
    and the scratch references' mean loss (the calibration) are at those labels,
    recomputed here from the model files."""
    import torch
    import torch.nn.functional as F

    from diffcal.config.load import load_config
    from diffcal.config.targets import Targets
    from diffcal.data.prepared import load_prepared
    from diffcal.training.model_files import load_entries, load_models
    from diffcal.training.train import image_batch

    base = abl_run / "results/digits/eps100"
    nat = pd.read_parquet(base / "one_run/canaries.parquet")
    mis = pd.read_parquet(base / "one_run_mislabelled/canaries.parquet")
    assert (mis["sample_id"] == nat["sample_id"]).all()
    assert (mis["included"] == nat["included"]).all()
    d = load_prepared(abl_run / "results/digits/data.npz")
    ids, labels = mis["sample_id"].to_numpy(), mis["label"].to_numpy()
    assert (labels != d.y[ids]).all() and set(labels) <= set(range(d.num_classes))

    def loss(model):
        with torch.no_grad():
            z = model(image_batch(torch.as_tensor(d.features(ids), dtype=torch.float32)))
        return -F.log_softmax(z.double(), dim=1)[np.arange(len(ids)), labels].numpy()

    (target,) = load_models(base / "one_run_mislabelled/canary_target.pt")[1]
    np.testing.assert_allclose(mis["loss"], loss(target["model"]), rtol=1e-6)
    rv = Targets(load_config(abl_run / ABL_TINY)).reference_variant["digits", "eps100"]
    refs = [
        e
        for p in sorted((abl_run / f"results/digits/{rv}/split0-1/models").glob("scratch*.pt"))
        for e in load_entries(p)
        if e["split"] == 0
    ]
    assert refs
    np.testing.assert_allclose(
        mis["ref_loss"], np.mean([loss(e["model"]) for e in refs], axis=0), rtol=1e-6
    )
    md = (abl_run / "results/ablations/ablations_tiny/one_run.md").read_text()
    assert "| digits | eps100 | mislabelled |" in md
