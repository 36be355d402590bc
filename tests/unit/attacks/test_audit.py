"""Audit reports and audits of scores (entry point 4): the attack maths
against independent oracles, the user's score files' errors, the report's numbers,
and that an audit of scores never imports torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from sklearn.metrics import roc_auc_score

from diffcal.attacks import metrics
from diffcal.attacks.audit import (
    lira_stat_from_loss,
    risk_table,
    score_attacks,
    summary_with_intervals,
)
from diffcal.attacks.calibration import calibrate
from diffcal.attacks.evaluate import attack_split
from diffcal.attacks.reference import logit_confidence
from diffcal.config.errors import ConfigError
from diffcal.config.load import prepare_config
from diffcal.data.user_scores import load_user_scores
from diffcal.stats.intervals import resample_weights, weighted_tpr_at_fpr


@pytest.mark.parametrize("seed", range(4))
def test_weighted_tpr_at_fpr_equals_tpr_of_the_resampled_data(seed):
    rng = np.random.default_rng(seed)
    n = 60
    member = rng.random(n) < 0.5
    score = np.round(rng.normal(size=n) + member, 1)  # ties
    w = resample_weights(member, 25, rng)
    for fpr in (0.0, 0.05, 0.1, 0.5):
        got = weighted_tpr_at_fpr(member, score, fpr, w)
        reps = [row.astype(int) for row in w]
        want = [metrics.tpr_at_fpr(np.repeat(member, r), np.repeat(score, r), fpr) for r in reps]
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_lira_statistic_from_the_loss_is_the_logit_scaled_confidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 4)) * 3
    y = rng.integers(0, 4, 50)
    loss = -(logits[np.arange(50), y] - np.log(np.exp(logits).sum(axis=1)))
    np.testing.assert_allclose(lira_stat_from_loss(loss), logit_confidence(logits, y), atol=1e-9)
    assert np.isfinite(lira_stat_from_loss(np.array([0.0]))).all()


def _losses(seed=0, n=80, m=4):
    rng = np.random.default_rng(seed)
    member = np.arange(n) < n // 2
    difficulty = rng.exponential(1.0, n)
    target = difficulty * np.where(member, 0.3, 1.0) + rng.exponential(0.05, n)
    refs = difficulty + rng.exponential(0.05, (m, n))
    return member, target, refs


def test_score_attacks_signs_and_which_attacks_the_references_allow():
    member, target, refs = _losses()
    out = score_attacks(target, refs, np.zeros(refs.shape, bool))
    np.testing.assert_array_equal(out["loss_cal"], calibrate(-target, -refs))
    assert set(out) == {"loss_orig", "loss_cal", "lira_offline", "lira_offline_global"}
    # members have a lower loss than their difficulty: higher score = member
    for name, s in out.items():
        assert roc_auc_score(member, s) > 0.6, name
    assert roc_auc_score(member, out["loss_cal"]) > roc_auc_score(member, out["loss_orig"])
    one = score_attacks(target, refs[:1], np.zeros((1, len(target)), bool))
    assert "lira_offline" not in one
    is_in = np.zeros(refs.shape, bool)
    is_in[:2] = True
    with_pop = score_attacks(
        target, refs, is_in, target_loss_pop=target[:10], ref_loss_pop=refs[:, :10]
    )
    assert {"lira_online", "lira_online_global", "rmia_offline", "rmia_online"} <= set(with_pop)


def test_risk_table_against_a_per_sample_loop():
    rng = np.random.default_rng(1)
    member = rng.random(40) < 0.5
    score = np.round(rng.normal(size=40), 1)
    ids = np.arange(100, 140)
    table = risk_table(ids, member, score, -score)
    assert len(table) == member.sum()
    for row in table.itertuples():
        i = int(np.flatnonzero(ids == row.sample_id)[0])
        assert row.rank == 1 + int((score > score[i]).sum())
        assert row.fpr == pytest.approx(np.mean(score[~member] >= score[i]))
    assert table["rank"].is_monotonic_increasing


def test_summary_is_the_mean_over_splits_with_an_interval_around_it():
    splits = [(_losses(s)[0], {"a": -_losses(s)[1], "b": -_losses(s)[2][0]}) for s in range(3)]
    out = summary_with_intervals(splits, [0.1], seeds=[1, 2, 3], pairs=[("a", "b")], n_boot=200)
    row = out[(out["attack"] == "a") & (out["metric"] == "auc")].iloc[0]
    assert row["value"] == pytest.approx(np.mean([roc_auc_score(m, s["a"]) for m, s in splits]))
    assert row["low"] < row["value"] < row["high"]
    diff = out[(out["attack"] == "a - b") & (out["metric"] == "auc")].iloc[0]
    b = out[(out["attack"] == "b") & (out["metric"] == "auc")].iloc[0]
    assert diff["value"] == pytest.approx(row["value"] - b["value"])


def test_scores_entry_point_gives_the_pipelines_metrics():
    """The pipeline's own attack code (attack_split) and the audit of scores, fed
    the same losses (the target's and its scratch references'), agree exactly."""
    member, target, refs = _losses(3, n=60, m=3)
    ids = np.arange(len(member))
    rows = []
    for model, ref, loss in [
        ("target", 0, target),
        *(("scratch", k, r) for k, r in enumerate(refs)),
    ]:
        for m in (model, "shadow" if model == "target" else None):
            if m:
                rows.append(
                    pd.DataFrame(
                        {
                            "model": m,
                            "ref": ref,
                            "sample_id": ids,
                            "loss": loss,
                            "grad_norm": loss,
                            "max_log_prob": -loss,
                            "correct": True,
                        }
                    )
                )
    sc = pd.concat(rows + [rows[0].assign(model=n) for n in ("forget_target", "forget_shadow")])
    sp = pd.DataFrame(
        {
            "sample_id": np.r_[ids, ids + 1000],
            "role": np.r_[
                np.where(member, "member", "nonmember"), np.where(member, "shadow_in", "shadow_out")
            ],
        }
    )
    sc = pd.concat([sc, sc.assign(sample_id=sc["sample_id"] + 1000)], ignore_index=True)
    cfg = {
        "scores": ["loss"],
        "calibrations": ["orig", "cal"],
        "gap": False,
        "fpr_levels": [0.05],
        "recall_levels": [],
    }
    _, met = attack_split(sc, sp, cfg)
    ours = score_attacks(target, refs, np.zeros(refs.shape, bool))
    for name in ("loss_orig", "loss_cal"):
        row = met.set_index("attack").loc[name]
        assert row["auc"] == metrics.auc(member, ours[name])
        assert row["tpr_at_fpr_0.05"] == metrics.tpr_at_fpr(member, ours[name], 0.05)


def _write_files(tmp_path, **change):
    member, target, refs = _losses()
    ids = np.arange(500, 500 + len(member))
    pd.DataFrame({"sample_id": ids, "loss": target}).to_csv(tmp_path / "t.csv", index=False)
    for k, r in enumerate(refs):
        pd.DataFrame({"sample_id": ids, "loss": r}).to_parquet(tmp_path / f"r{k}.parquet")
    (tmp_path / "m.txt").write_text("\n".join(map(str, ids[member])) + "\n")
    for name, text in change.items():
        (tmp_path / name).write_text(text)
    return {
        "target": str(tmp_path / "t.csv"),
        "members": str(tmp_path / "m.txt"),
        "references": [str(tmp_path / f"r{k}.parquet") for k in range(len(refs))],
    }


def test_user_scores_load_aligned_on_the_users_ids(tmp_path):
    files = _write_files(tmp_path)
    u = load_user_scores(
        files["target"], files["references"], np.loadtxt(files["members"], dtype=np.int64)
    )
    assert u.sample_id[0] == 500 and u.ref_loss.shape == (4, 80) and u.is_member.sum() == 40


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"t.csv": "sample_id,los\n1,0.5\n"}, "t.csv: no column 'loss'"),
        ({"t.csv": "sample_id,loss\n1,0.5\n1,0.2\n"}, "t.csv: sample_id 1 is repeated"),
        ({"t.csv": "sample_id,loss\n1,-0.5\n"}, "t.csv: loss must be finite and >= 0"),
        ({"t.csv": "sample_id,loss\nx,0.5\n"}, "t.csv: sample_id must be integers"),
        ({"m.txt": "9999\n"}, "m.txt: sample id 9999 is not in"),
        ({"t.csv": "sample_id,loss,correct\n1,0.5,maybe\n"}, "column 'correct' must be boolean"),
    ],
)
def test_bad_score_files_are_one_line_before_any_job(tmp_path, change, needle):
    files = _write_files(tmp_path, **change)
    cfg = {"audits": {"mine": {"scores": files}}}
    with pytest.raises(ConfigError) as e:
        prepare_config(cfg)
    assert needle in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).startswith("config key 'audits.mine.scores'")


def test_a_reference_without_every_sample_is_named(tmp_path):
    files = _write_files(tmp_path)
    pd.read_parquet(files["references"][2]).iloc[1:].to_parquet(files["references"][2])
    with pytest.raises(ConfigError, match=r"r2.parquet: no row for sample_id 500"):
        prepare_config({"audits": {"mine": {"scores": files}}})
    with pytest.raises(ConfigError, match="audits.breast_cancer"):
        audit = {"scores": _write_files(tmp_path)}
        bc = {"source": "sklearn_breast_cancer"}
        prepare_config({"audits": {"breast_cancer": audit}, "datasets": {"breast_cancer": bc}})


def test_an_audit_of_scores_never_imports_torch(tmp_path):
    """Both stages of an audit of scores run with torch unimportable."""
    files = _write_files(tmp_path)
    out = tmp_path / "out"
    code = f"""
import sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch imported by an audit of scores")

sys.meta_path.insert(0, NoTorch())
from diffcal.stages.audit_scores import run_audit_scores
from diffcal.stages.audit_report import run_audit_report
run_audit_scores(target={files["target"]!r}, references={files["references"]!r},
                 members={files["members"]!r}, out_scores="{out}/scores.parquet",
                 out_attack_scores="{out}/attack_scores.parquet")
run_audit_report(attack_scores=["{out}/attack_scores.parquet"], scores=["{out}/scores.parquet"],
                 name="mine", title="Mine", what="Scores.", fpr_levels=[0.1, 0.01], root_seed=1,
                 out_md="{out}/report.md", out_html="{out}/report.html", out_png="{out}/roc.png",
                 out_pdf="{out}/roc.pdf", out_metrics="{out}/metrics.csv",
                 out_risk="{out}/risk.parquet", n_boot=100)
assert "torch" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=300)
    met = pd.read_csv(out / "metrics.csv").set_index(["attack", "metric"])
    member, target, refs = _losses()
    want = roc_auc_score(member, -(target - refs.mean(axis=0)))
    assert met.loc[("loss_cal", "auc"), "value"] == pytest.approx(want, abs=1e-12)
    risk = pd.read_parquet(out / "risk.parquet")
    assert set(risk["sample_id"]) == set(500 + np.flatnonzero(member))  # the user's ids
    md = (out / "report.md").read_text()
    assert "FPR resolution: with 40 non-members" in md and "TPR at FPR 0.01 is therefore" in md
    html = (out / "report.html").read_text()
    assert '<img src="roc.png"' in html and md.count("| ") > 20


def test_fixed_variance_lira_of_an_audit_is_the_comparisons_and_a_per_sample_loop():
    """LiRA with one variance per kind (IN / OUT) for all samples, from losses: the
    audit's values equal the comparison's ``*_global`` attacks on a pool built from
    the same losses, and scipy Gaussians fitted by hand sample by sample."""
    from scipy import stats

    from diffcal.attacks import compare, registry
    from diffcal.attacks.audit import lira_stat_from_loss

    member, target, refs = _losses(5, n=80, m=6)
    is_in = np.zeros(refs.shape, bool)
    is_in[0::2, ::2] = True
    is_in[1::2, 1::2] = True
    ours = score_attacks(target, refs, is_in)
    t, r = lira_stat_from_loss(target), lira_stat_from_loss(refs)
    pool = registry.PoolOutputs(target, t, refs, r, is_in, np.zeros(0), np.zeros((6, 0)))
    for name in ("lira_offline_global", "lira_online_global"):
        np.testing.assert_array_equal(ours[name], compare.ATTACKS[name](pool, a=0.3, gamma=1.0))
    mu_in = np.array([r[is_in[:, i], i].mean() for i in range(80)])
    mu_out = np.array([r[~is_in[:, i], i].mean() for i in range(80)])
    s_in = np.sqrt(np.mean(np.concatenate([r[is_in[:, i], i] - mu_in[i] for i in range(80)]) ** 2))
    dev_out = np.concatenate([r[~is_in[:, i], i] - mu_out[i] for i in range(80)])
    s_out = np.sqrt(np.mean(dev_out**2))
    for i in range(80):
        on = stats.norm(mu_in[i], s_in).logpdf(t[i]) - stats.norm(mu_out[i], s_out).logpdf(t[i])
        assert ours["lira_online_global"][i] == pytest.approx(on, rel=1e-9, abs=1e-9)
        off = stats.norm(mu_out[i], s_out).logcdf(t[i])
        assert ours["lira_offline_global"][i] == pytest.approx(off, rel=1e-9, abs=1e-9)
    assert roc_auc_score(member, ours["lira_online_global"]) > 0.6


def test_every_attacks_epsilon_bound_holds_jointly_and_the_best_comes_first():
    """Bonferroni over the attacks: each bound is the Bonferroni-over-thresholds
    bound at alpha / K (recomputed with the privacy code directly), the largest first;
    scores that ignore membership give 0."""
    from diffcal.attacks.audit import epsilon_bounds
    from diffcal.stats.bound_strategies import bonferroni_bound

    rng = np.random.default_rng(0)
    y = np.repeat([True, False], 2000)
    scores = {"noise": rng.normal(size=4000), "signal": y * 1.5 + rng.normal(size=4000)}
    halves = [(y[h::2], {k: v[h::2] for k, v in scores.items()}) for h in (0, 1)]
    out = epsilon_bounds(halves)
    assert list(out["attack"]) == ["signal", "noise"]
    both = np.concatenate([y[0::2], y[1::2]])
    for _, row in out.iterrows():
        s = np.concatenate([scores[row["attack"]][0::2], scores[row["attack"]][1::2]])
        want = bonferroni_bound(s, both, delta=1e-5, alpha=0.025)
        assert row["epsilon_lb"] == want.epsilon and row["alpha"] == 0.025
        assert row["n_members"] + row["n_nonmembers"] == len(both)
    assert out.iloc[0]["epsilon_lb"] > 0.5 and out.iloc[1]["epsilon_lb"] < 0.2


def test_risk_ranks_every_attack_and_the_top_k_share_and_overlaps_count_by_hand():
    """risk.parquet's rank_<attack> are scipy's 'min' ranks among all evaluated
    samples; top100_share and the report's top-k overlaps recount by hand (the
    same members in both splits, as with a given target)."""
    from scipy.stats import rankdata

    from diffcal.reporting.audit import AuditSplit, compute_audit

    rng = np.random.default_rng(7)
    n, k = 400, 100
    ids = np.arange(1000, 1000 + n)
    member = rng.random(n) < 0.5
    splits = []
    for _ in range(2):
        base = member * 1.0 + rng.normal(size=n)
        scores = {"loss_orig": base + rng.normal(size=n), "loss_cal": base}
        splits.append(AuditSplit(ids, member, scores, (0.9, 0.8), 2))
    res = compute_audit(splits, [0.05], seeds=[1, 2], n_boot=50)
    r = res.risk
    tops = []
    for t, s in enumerate(splits):
        rows = r[r["split"] == t].set_index("sample_id").loc[ids[member]]
        for a, v in s.scores.items():
            want = rankdata(-v, method="min")[member]
            np.testing.assert_array_equal(rows[f"rank_{a}"], want)
        order = sorted(ids[member], key=lambda i: (-s.scores["loss_cal"][i - 1000], i))
        tops.append(set(order[:k]))
    share = r.groupby("sample_id")["top100_share"].first()
    for i in ids[member]:
        assert share[i] == ((i in tops[0]) + (i in tops[1])) / 2
    ov = res.overlap.set_index("between")["jaccard"]
    assert ov["splits"] == len(tops[0] & tops[1]) / len(tops[0] | tops[1])
    s0 = splits[0].scores["loss_orig"]
    other = set(sorted(ids[member], key=lambda i: (-s0[i - 1000], i))[:k])
    assert ov["loss_cal / loss_orig"] == len(tops[0] & other) / len(tops[0] | other)
