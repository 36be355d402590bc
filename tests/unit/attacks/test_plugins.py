"""Your own attack as a plugin (attack.extra): loaded from a file or a module, run
by the paper's attacks, the comparison and the audit of scores on the frames the
docs promise, checked against per-sample loops; bad plugins stop in one line that
names the key."""

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from oracles import best_reference_loop, eval_samples_and_plugin_scores
from sklearn.metrics import roc_auc_score

from diffcal.attacks import compare, registry
from diffcal.attacks.evaluate import attack_split
from diffcal.attacks.plugins import load_plugins, plugin_names, run_plugin
from diffcal.config.errors import ConfigError
from diffcal.config.load import prepare_config

PLUGINS = REPO / "tests/data/plugins"
GOOD = f"{PLUGINS}/best_reference.py:best_reference"


def test_a_plugin_loads_from_a_file_or_a_module_and_is_named_after_its_function():
    (p,) = load_plugins([GOOD])
    assert (p.key, p.name) == ("attack.extra[0]", "best_reference")
    (q,) = load_plugins(["json:dumps"])
    assert q.name == "dumps" and q.fn.__module__ == "json"
    assert plugin_names([]) == []


@pytest.mark.parametrize(
    ("ref", "needle"),
    [
        (f"{PLUGINS}/unimportable.py:f", "importing .* failed: ImportError this plugin needs"),
        (f"{PLUGINS}/missing.py:f", "does not exist"),
        (f"{PLUGINS}/broken.py:NOT_A_FUNCTION", "has no function 'NOT_A_FUNCTION'"),
        (f"{PLUGINS}/broken.py:lira_online", "taken by another attack"),
        ("no_such_package.mod:f", "No module named 'no_such_package'"),
        ("just_a_name", "does not match"),
    ],
)
def test_a_plugin_that_does_not_load_is_one_config_error_naming_its_key(ref, needle):
    cfg = {
        "datasets": {"bc": {"source": "sklearn_breast_cancer"}},
        "attack": {"extra": [GOOD, ref]},
    }
    with pytest.raises(ConfigError, match=needle) as e:
        prepare_config(cfg)
    assert str(e.value).startswith("config key 'attack.extra.1': ")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("func", "needle"),
    [
        ("too_short", "returned 9 scores for 10 samples"),
        ("with_nan", "1 of 10 scores are NaN or infinite"),
        ("raises", "raised KeyError 'no such column'"),
    ],
)
def test_a_plugin_that_returns_bad_scores_stops_in_one_line(func, needle):
    (p,) = load_plugins([f"{PLUGINS}/broken.py:{func}"])
    target = pd.DataFrame({"sample_id": np.arange(10), "loss": np.linspace(0.1, 1, 10)})
    with pytest.raises(ValueError, match=needle) as e:
        run_plugin(p, target, pd.DataFrame())
    assert str(e.value).startswith("attack.extra[0] ") and "\n" not in str(e.value)


def _split_frames(n=80, m=3, seed=0):
    """scores.parquet / split.parquet rows of one split: target, shadow, scratch and
    forgetting models on the eval and threshold samples."""
    rng = np.random.default_rng(seed)
    ids = np.arange(2 * n)
    roles = np.r_[
        np.where(rng.random(n) < 0.5, "member", "nonmember"),
        np.where(rng.random(n) < 0.5, "shadow_in", "shadow_out"),
    ]
    inn = np.isin(roles, ["member", "shadow_in"])
    rows = []
    for model, k in [
        ("target", 1),
        ("shadow", 1),
        ("scratch", m),
        ("forget_target", 2),
        ("forget_shadow", 2),
    ]:
        for ref in range(k):
            loss = rng.exponential(1.0, 2 * n) * (
                np.where(inn, 0.4, 1.0) if model in ("target", "shadow") else 1
            )
            rows.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "ref": ref,
                        "sample_id": ids,
                        "loss": loss,
                        "grad_norm": loss,
                        "max_log_prob": -loss,
                        "correct": loss < 1,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True), pd.DataFrame({"sample_id": ids, "role": roles})


def test_the_paper_pipeline_scores_a_plugin_on_the_target_and_its_references():
    sc, sp = _split_frames()
    cfg = {
        "scores": ["loss"],
        "calibrations": ["orig", "cal"],
        "gap": True,
        "fpr_levels": [0.1],
        "recall_levels": [0.5],
        "extra": [GOOD],
    }
    att, met = attack_split(sc, sp, cfg)
    assert list(met["attack"]) == ["gap", "loss_orig", "loss_cal", "best_reference"]
    row = met.set_index("attack").loc["best_reference"]
    assert (row["score"], row["calibration"]) == ("best_reference", "none")
    ev, want = eval_samples_and_plugin_scores(sc, sp)
    got = att[att["set"] == "eval"]
    np.testing.assert_allclose(got["best_reference"], want, rtol=0, atol=1e-12)
    assert row["auc"] == pytest.approx(roc_auc_score(ev["role"] == "member", want), abs=1e-12)


def test_the_comparison_gives_a_plugin_the_first_m_references_with_their_membership():
    rng = np.random.default_rng(3)
    n, m = 50, 4
    loss, ref = rng.exponential(size=n), rng.exponential(size=(m, n))
    is_in = np.zeros((m, n), bool)
    is_in[0::2, : n // 2] = True
    is_in[1::2, n // 2 :] = True
    o = registry.PoolOutputs(loss, -loss, ref, -ref, is_in, np.zeros(0), np.zeros((m, 0)))
    ids = np.arange(100, 100 + n)
    (p,) = load_plugins([GOOD])
    out = compare.run_attacks(o, ["loss"], [2, 4], {"a": 0.3, "gamma": 1.0}, plugins=[p], ids=ids)
    assert sorted(out) == [(2, "best_reference"), (2, "loss"), (4, "best_reference"), (4, "loss")]
    for budget in (2, 4):
        want = best_reference_loop(
            ids,
            loss,
            np.tile(ids, budget),
            ref[:budget].reshape(-1),
            is_in[:budget].reshape(-1),
        )
        np.testing.assert_allclose(out[budget, "best_reference"], want, rtol=0, atol=1e-12)


def test_the_audit_of_scores_runs_a_plugin_beside_its_attacks(tmp_path):
    from diffcal.stages.audit_scores import run_audit_scores

    rng = np.random.default_rng(4)
    n, m = 60, 3
    ids = np.arange(500, 500 + n)
    member = rng.random(n) < 0.5
    target = rng.exponential(size=n) * np.where(member, 0.4, 1)
    refs = rng.exponential(size=(m, n))
    pd.DataFrame({"sample_id": ids, "loss": target}).to_csv(tmp_path / "t.csv", index=False)
    for k, r in enumerate(refs):
        pd.DataFrame({"sample_id": ids, "loss": r}).to_csv(tmp_path / f"r{k}.csv", index=False)
    (tmp_path / "m.txt").write_text("\n".join(map(str, ids[member])) + "\n")
    run_audit_scores(
        target=str(tmp_path / "t.csv"),
        references=[str(tmp_path / f"r{k}.csv") for k in range(m)],
        members=str(tmp_path / "m.txt"),
        out_scores=str(tmp_path / "scores.parquet"),
        out_attack_scores=str(tmp_path / "attack_scores.parquet"),
        extra=[GOOD],
    )
    att = pd.read_parquet(tmp_path / "attack_scores.parquet")
    assert list(att.columns[-2:]) == ["lira_offline_global", "best_reference"]
    want = best_reference_loop(
        ids, target, np.tile(ids, m), refs.reshape(-1), np.zeros(m * n, bool)
    )
    np.testing.assert_allclose(att["best_reference"], want, rtol=0, atol=1e-12)
