"""The LiRA / RMIA comparison: pool membership, the attacks at a budget, their
fallback for samples without a reference of a kind, intervals, against loops,
scipy and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score, roc_curve

from diffcal.attacks import compare
from diffcal.attacks.calibration import calibrate
from diffcal.attacks.pool_membership import pool_membership
from diffcal.attacks.reference import (
    calibrated_loss,
    lira_offline,
    lira_online,
    masked_mean,
    rmia_marginal,
)
from diffcal.config.load import SCHEMA, prepare_config
from diffcal.stats.intervals import t_interval


@pytest.mark.parametrize("n", [10, 11])
def test_pool_membership_pairs_are_complementary_and_every_even_prefix_balanced(n):
    is_in = pool_membership(n, 16, seed=3)
    assert is_in.shape == (16, n)
    np.testing.assert_array_equal(is_in[0::2] ^ is_in[1::2], True)  # pairs split the pool
    for m in (2, 4, 8, 16):
        np.testing.assert_array_equal(is_in[:m].sum(axis=0), m // 2)
    assert set(is_in.sum(axis=1)) <= {n // 2, (n + 1) // 2}  # each trains on half
    np.testing.assert_array_equal(is_in, pool_membership(n, 16, seed=3))
    assert not np.array_equal(is_in, pool_membership(n, 16, seed=4))


def test_missing_references_fall_back_on_the_pooled_statistics():
    rng = np.random.default_rng(0)
    refs = rng.normal(size=(3, 6))
    is_in = np.array([[1, 0, 1, 1, 0, 0], [0, 0, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1]], bool)
    # sample 1 has no IN reference
    with pytest.raises(ValueError, match="1 samples have no reference"):
        masked_mean(refs, is_in)
    got = masked_mean(refs, is_in, missing="global")
    for i in range(6):
        col = refs[is_in[:, i], i]
        want = refs[is_in].mean() if len(col) == 0 else col.mean()
        assert got[i] == pytest.approx(want)
    target = rng.normal(size=6)
    on = lira_online(target, refs, is_in, missing="global", global_variance=True)
    mu_in = np.array(
        [refs[is_in[:, i], i].mean() if is_in[:, i].any() else refs[is_in].mean() for i in range(6)]
    )
    dev = np.concatenate([refs[is_in[:, i], i] - mu_in[i] for i in range(6)])
    assert on[1] - lira_offline(target, refs, is_in, missing="global", global_variance=True)[
        1
    ] != pytest.approx(0)
    s_in = np.sqrt(np.mean(dev**2))
    mu_out = refs[~is_in[:, 1], 1].mean()
    s_out_dev = np.concatenate(
        [refs[~is_in[:, i], i] - refs[~is_in[:, i], i].mean() for i in range(6)]
    )
    s_out = np.sqrt(np.mean(s_out_dev**2))
    want = stats.norm(refs[is_in].mean(), s_in).logpdf(target[1]) - stats.norm(
        mu_out, s_out
    ).logpdf(target[1])
    assert on[1] == pytest.approx(want, rel=1e-9)


def test_calibrated_loss_is_eq5_over_the_out_references():
    rng = np.random.default_rng(1)
    loss_t, loss_r = rng.exponential(size=20), rng.exponential(size=(6, 20))
    is_in = pool_membership(20, 6, seed=0)
    got = calibrated_loss(loss_t, loss_r, is_in)
    for i in range(20):
        out = loss_r[~is_in[:, i], i]
        assert got[i] == pytest.approx(calibrate(np.array([-loss_t[i]]), -out[:, None])[0])
    # no IN reference at all: eq. 5 with every reference (diffcal.attacks.calibration.calibrate)
    np.testing.assert_allclose(
        calibrated_loss(loss_t, loss_r, np.zeros_like(is_in)), calibrate(-loss_t, -loss_r)
    )


def test_rmia_offline_marginal_uses_each_samples_out_references():
    rng = np.random.default_rng(2)
    p, is_in, a = rng.uniform(size=(8, 15)), pool_membership(15, 8, seed=1), 0.4
    got = rmia_marginal(p, is_in, a=a, offline=True)
    for i in range(15):
        assert got[i] == pytest.approx(((1 + a) * p[~is_in[:, i], i].mean() + 1 - a) / 2)
    np.testing.assert_allclose(rmia_marginal(p, is_in, a=a), p.mean(axis=0))  # online


def _toy(n=600, m=16, k=300, seed=0):
    """Gaussian toy: per-sample logit statistics N(mu_out + gap * in, 0.5)."""
    rng = np.random.default_rng(seed)
    mu_out, gap = rng.normal(0, 2, n), rng.uniform(0, 3, n)
    member = rng.random(n) < 0.5
    is_in = pool_membership(n, m, seed=seed)

    def loss(stat):  # binary model: loss = log(1 + e^-stat)
        return np.logaddexp(0, -stat)

    stat_t = mu_out + gap * member + rng.normal(0, 0.5, n)
    stat_r = mu_out + gap * is_in + rng.normal(0, 0.5, (m, n))
    pop_t, pop_r = rng.normal(0, 2, k), rng.normal(0, 2, (m, k))
    o = compare.PoolOutputs(
        loss(stat_t), stat_t, loss(stat_r), stat_r, is_in, loss(pop_t), loss(pop_r)
    )
    return member, o


def test_every_attack_ranks_members_higher_on_a_gaussian_toy():
    member, o = _toy()
    scores = compare.run_attacks(o, list(compare.ATTACKS), [1, 2, 16], {"a": 0.3, "gamma": 1.0})
    for (m, a), s in scores.items():
        assert s.shape == member.shape and np.isfinite(s).all(), (m, a)
        # The authors' LiRA code has no floor on the std: with one reference of a
        # kind (M <= 2 here) it is 0 and the score degenerates to a distance.
        floor = 0.5 if "official" in a and m <= 2 else 0.6
        if a != "loss":
            assert roc_auc_score(member, s) > floor, (m, a)
    auc = {k: roc_auc_score(member, s) for k, s in scores.items()}
    # with per-sample difficulty, references help; online LiRA is the NP test here
    assert auc[16, "lira_online"] > auc[16, "loss"] + 0.1
    assert auc[16, "lira_online"] >= auc[1, "lira_online"]


def test_attack_metrics_match_scikit_learn():
    member, o = _toy(seed=1)
    s = compare.ATTACKS["lira_online"](o.first(8))
    got = compare.pool_attack_metrics(member, s, [0.01, 0.0])
    fpr, tpr, _ = roc_curve(member, s)
    assert got["auc"] == pytest.approx(roc_auc_score(member, s))
    assert got["tpr_at_0.01"] == pytest.approx(tpr[fpr <= 0.01].max())
    assert got["tpr_at_0"] == pytest.approx(tpr[fpr == 0].max())


def test_pool_outputs_reads_the_stage_frames():
    member, o = _toy(n=5, m=4, k=3)
    ids, pop_ids = np.array([2, 5, 7, 9, 11]), np.array([1, 3, 4])
    rows = []
    for model, ref, x_loss, x_stat, z_loss in [
        ("target", 0, o.target_loss, o.target_stat, o.target_loss_pop),
        *[("pool", j, o.ref_loss[j], o.ref_stat[j], o.ref_loss_pop[j]) for j in range(4)],
    ]:
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "ref": ref,
                    "sample_id": ids,
                    "population": False,
                    "loss": x_loss,
                    "lira_stat": x_stat,
                }
            )
        )
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "ref": ref,
                    "sample_id": pop_ids,
                    "population": True,
                    "loss": z_loss,
                    "lira_stat": 0.0,
                }
            )
        )

    sc = pd.concat(rows).sample(frac=1, random_state=0)  # any row order
    mem = pd.DataFrame(
        {
            "ref": np.repeat(np.arange(4), 5),
            "sample_id": np.tile(ids, 4),
            "is_in": o.is_in.reshape(-1),
        }
    )
    got_ids, got = compare.pool_outputs(sc, mem)
    np.testing.assert_array_equal(got_ids, ids)
    for f in (
        "target_loss",
        "target_stat",
        "ref_loss",
        "ref_stat",
        "is_in",
        "target_loss_pop",
        "ref_loss_pop",
    ):
        np.testing.assert_array_equal(getattr(got, f), getattr(o, f), err_msg=f)
    with pytest.raises(ValueError, match="disagree"):
        compare.pool_outputs(sc, mem[mem["sample_id"] != 7])


def test_t_interval_matches_scipy_and_the_config_runs_every_attack():
    v = [0.61, 0.64, 0.6, 0.66]
    mean, lo, hi = t_interval(v)
    want = stats.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=stats.sem(v))
    assert (lo, hi) == pytest.approx(want) and mean == pytest.approx(np.mean(v))
    assert np.isnan(t_interval([0.5])[1])
    assert set(compare.LABELS) == {*compare.ATTACKS, *compare.EXTERNAL}
    cfg = prepare_config({"datasets": {"x": {"source": "sklearn_digits"}}})
    assert cfg["compare"]["attacks"] == [*compare.ATTACKS, *compare.EXTERNAL]


DOCS = SCHEMA.parents[2] / "docs"
BEGIN, END = "<!-- BEGIN generated: docs/comparison/comparison.md -->", "<!-- END generated -->"


def test_comparison_doc_shows_the_generated_tables_and_they_recompute_from_the_csv():
    """docs/comparison.md embeds docs/comparison/comparison.md (a copy of a run's
    results/compare/compare/comparison.md) verbatim, and every cell of it is the
    mean and interval of the run's comparison.csv (copied beside it)."""
    from diffcal.stages.compare_report import cell, metric_label

    doc = (DOCS / "comparison.md").read_text()
    block = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    generated = (DOCS / "comparison/comparison.md").read_text()
    # the doc keeps the file's tables and notes; its top-level title becomes the doc's
    assert block == generated.split("\n", 1)[1].strip()
    long = pd.read_csv(DOCS / "comparison/comparison.csv")
    checked = 0
    for (label, budget, attack), g in long.groupby(["label", "budget", "attack"]):
        if budget != long["budget"].max():
            continue
        section = generated.split(f"## {label}", 1)[1].split("\n## ", 1)[0]
        row = next(r for r in section.splitlines() if r.startswith(f"| {compare.LABELS[attack]} |"))
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        header = next(r for r in section.splitlines() if r.startswith("| Attack | Trains | AUC"))
        cols = [c.strip() for c in header.strip("|").split("|")][1:]
        for _, r in g.iterrows():
            if metric_label(r["metric"]) in cols:
                percent = r["metric"].startswith("tpr_at_")
                assert cells[cols.index(metric_label(r["metric"]))] == cell(r, percent)
                checked += 1
    assert checked >= 3 * 13 * 6  # datasets x attacks x (AUC, 4 TPRs, epsilon)


def test_compare_claims_are_paired_effects_with_verdicts():
    """RMIA offline ahead of LiRA offline by 0.3-0.5 points in every split: holds;
    online, ahead in one split and behind in two: inconclusive; the verdict rows
    carry the effect's interval."""
    from diffcal.stages.compare_report import claims_section

    rows = []
    for t, (off, on) in enumerate([(0.003, 0.002), (0.004, -0.001), (0.005, -0.002)]):
        for a, v in [
            ("rmia_offline", 0.01 + off),
            ("lira_offline", 0.01),
            ("rmia_online", 0.01 + on),
            ("lira_online", 0.01),
        ]:
            rows.append(
                {
                    "dataset": "d",
                    "variant": "v",
                    "label": "D",
                    "split": t,
                    "budget": 1,
                    "attack": a,
                    "tpr_at_0.001": v,
                }
            )
    lines = claims_section(
        pd.DataFrame(rows), [{"dataset": "d", "variant": "v", "label": "D"}], [1], [0.001]
    )
    table = [ln for ln in lines if ln.startswith("| ") and "RMIA" in ln]
    assert len(table) == 2
    assert table[0].endswith("| D | 1 | +0.40 [+0.15, +0.65] | holds |")
    assert table[1].endswith("| inconclusive |")


def test_external_attacks_are_the_same_at_every_budget_and_checked():
    rng = np.random.default_rng(0)
    n, m = 6, 4
    o = compare.PoolOutputs(
        rng.normal(size=n),
        rng.normal(size=n),
        rng.normal(size=(m, n)),
        rng.normal(size=(m, n)),
        rng.random((m, n)) < 0.5,
        rng.normal(size=3),
        rng.normal(size=(m, 3)),
    )
    q = rng.normal(size=n)
    cfg = {"a": 0.3, "gamma": 1.0}
    out = compare.run_attacks(o, ["loss", "quantile"], [1, 4], cfg, {"quantile": q})
    for budget in (1, 4):
        np.testing.assert_array_equal(out[budget, "quantile"], q)
    assert compare.models_trained("quantile", 4) == "1 regressor"
    assert compare.models_trained("loss", 4) == "0"
    assert compare.models_trained("lira_online", 4) == "4"
    with pytest.raises(ValueError, match="no scores given"):
        compare.run_attacks(o, ["quantile"], [1], cfg)
    with pytest.raises(ValueError, match="expected"):
        compare.run_attacks(o, ["quantile"], [1], cfg, {"quantile": q[:-1]})


def test_epsilon_bound_follows_the_configured_strategy():
    from diffcal.stats import privacy
    from diffcal.stats.bound_strategies import frontier_thresholds

    member, o = _toy(seed=2)
    s = compare.ATTACKS["lira_online"](o.first(8))
    sel = compare.selection_half(len(s), seed=4)
    assert sel.sum() == len(s) // 2
    assert np.array_equal(sel, compare.selection_half(len(s), seed=4))
    assert "epsilon_lb" not in compare.pool_attack_metrics(member, s, [0.01], sel)
    # split: thresholds chosen on the selection half (best bound among its hull's
    # vertices), errors counted on the other half, Bonferroni factor k
    split = {"strategy": "split", "k": 5}
    got = compare.pool_attack_metrics(member, s, [0.01], sel, split)["epsilon_lb"]
    thr = privacy.select_thresholds(
        s[sel], member[sel], delta=1e-5, k=5, candidates=frontier_thresholds(s[sel], member[sel])
    )
    ids, sel_ids = np.flatnonzero(~sel), np.flatnonzero(sel)
    want = privacy.epsilon_lower_bound(
        s[~sel], member[~sel], thr, delta=1e-5, ids=ids, selection_ids=sel_ids
    )
    assert got == want.epsilon and got > 0  # the toy's online LiRA separates well
    # bonferroni (the default): every sample counted, at the hull's thresholds
    bonf = compare.pool_attack_metrics(member, s, [0.01], sel, {})["epsilon_lb"]
    want = privacy.epsilon_lower_bound(s, member, frontier_thresholds(s, member), delta=1e-5)
    assert bonf == want.epsilon > got
    # the reports do not clip an epsilon's interval to [0, 1]
    from diffcal.reporting.tables import summarise

    rows = pd.DataFrame({"k": [0, 0, 0], "epsilon_lb": [0.1, 2.5, 2.0], "auc": [0.9, 1.0, 0.95]})
    long = summarise(rows, ["epsilon_lb", "auc"], ["k"], spread="t95").set_index("metric")
    assert long.loc["epsilon_lb", "ci_high"] > 2.5 and long.loc["auc", "ci_high"] == 1.0
    assert long.loc["epsilon_lb", "ci_low"] == 0.0  # an epsilon bound is never negative
