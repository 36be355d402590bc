"""The attack registry: one record per attack, read by every suite, the labels and
the schema; the sign convention of every record on a toy where members are known."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml
from builders import extending_examples
from conftest import REPO
from sklearn.metrics import roc_auc_score

from diffcal.attacks import audit, compare, registry
from diffcal.attacks.calibration import CALIBRATIONS, SCORES
from diffcal.config.load import SCHEMA
from diffcal.reporting.audit_report import attack_label
from diffcal.reporting.labels import column_label


def _schema():
    return yaml.safe_load(SCHEMA.read_text())["properties"]


def test_the_schemas_lists_are_the_registrys():
    att = _schema()["attack"]["properties"]
    assert att["scores"]["items"]["enum"] == list(SCORES)
    assert att["calibrations"]["items"]["enum"] == list(CALIBRATIONS)
    cmp = _schema()["compare"]["properties"]["attacks"]
    assert "enum" not in cmp["items"] and "default" not in cmp  # the registry's
    fig = _schema()["report"]["properties"]["figure_score"]
    assert fig["enum"] == list(SCORES)


def test_every_suite_reads_its_functions_from_the_registry():
    """One implementation per attack: the comparison and the audit call the same
    function objects, and the labels of every suite are the records'."""
    for name, fn in compare.ATTACKS.items():
        assert fn is registry.REGISTRY[name].pool_fn
    for name, spec in registry.REGISTRY.items():
        assert column_label(name) == spec.label == attack_label(name)
        if "compare" in spec.suites:
            assert compare.LABELS[name] == spec.label
    shared = set(registry.suite("compare")) & set(registry.suite("audit"))
    assert shared == {
        "lira_offline",
        "lira_offline_global",
        "lira_online",
        "lira_online_global",
        "rmia_offline",
        "rmia_online",
    }
    # the comparison's names for the paper's loss attacks run the paper's functions
    assert registry.REGISTRY["loss"].pool_fn is registry.REGISTRY["loss_orig"].pool_fn
    assert registry.REGISTRY["calibrated_loss"].pool_fn is registry.REGISTRY["loss_cal"].pool_fn


def test_records_are_well_formed():
    for spec in registry.REGISTRY.values():
        assert spec.needs in registry.NEEDS and set(spec.suites) <= set(registry.SUITES)
        if "paper" in spec.suites:
            assert spec.fn is not None or spec.needs == "label_only"
        if {"compare", "audit"} & set(spec.suites):
            assert spec.pool_fn is not None or spec.needs == "regressor"
    with pytest.raises(ValueError, match="needs"):
        registry.AttackSpec("x", "X", "nothing", ("paper",))
    with pytest.raises(ValueError, match="suites"):
        registry.AttackSpec("x", "X", "target", ("elsewhere",))


def _toy(n=400, m=8, k=100, seed=0):
    """Members' losses lower under the target and under IN references."""
    rng = np.random.default_rng(seed)
    hard = rng.exponential(1.0, n)
    member = rng.random(n) < 0.5
    is_in = rng.random((m, n)) < 0.5
    ref = hard * rng.uniform(0.8, 1.2, (m, n)) * np.where(is_in, 0.3, 1.0)
    tgt = hard * np.where(member, 0.3, 1.0)
    o = registry.PoolOutputs(
        target_loss=tgt,
        target_stat=audit.lira_stat_from_loss(tgt),
        ref_loss=ref,
        ref_stat=audit.lira_stat_from_loss(ref),
        is_in=is_in,
        target_loss_pop=rng.exponential(1.0, k),
        ref_loss_pop=rng.exponential(1.0, (m, k)),
    )
    return member, o


def test_higher_means_member_for_every_pool_attack():
    member, o = _toy()
    for name, spec in registry.REGISTRY.items():
        if spec.pool_fn is None:
            continue
        s = registry.oriented(spec, spec.pool_fn(o, a=0.3, gamma=1.0))
        assert s.shape == member.shape
        assert roc_auc_score(member, s) > 0.6, name


def test_higher_means_member_for_every_paper_attack():
    rng = np.random.default_rng(1)
    n, hard = 300, rng.exponential(1.0, 300)
    member = rng.random(n) < 0.5
    shrink = np.where(member, 0.3, 1.0)
    outs = lambda loss, k: {  # noqa: E731
        "loss": loss,
        "grad_norm": loss * 2,
        "max_log_prob": -loss / 2,
        "correct": np.ones((k, n), bool) & (loss < 5),
        "distance": 1 / (1 + loss),
    }
    target = outs((hard * shrink)[None], 1)
    refs = outs(hard * rng.uniform(0.8, 1.2, (3, n)), 3)
    for name, spec in registry.suite("paper").items():
        s = spec.fn(target, refs, refs)
        assert roc_auc_score(member, s) >= 0.5, name


def test_runs_on_says_what_the_references_allow():
    member, o = _toy(m=1)
    r = registry.REGISTRY
    assert registry.runs_on(r["loss_cal"], o)
    assert not registry.runs_on(r["lira_offline"], o)  # needs two references
    none_in = registry.PoolOutputs(**{**o.__dict__, "is_in": np.zeros_like(o.is_in)})
    assert not registry.runs_on(r["lira_online"], none_in)
    assert not registry.runs_on(r["rmia_online"], none_in)
    assert registry.runs_on(r["rmia_offline"], none_in)
    no_pop = registry.PoolOutputs(
        **{**o.__dict__, "target_loss_pop": np.zeros(0), "ref_loss_pop": np.zeros((1, 0))}
    )
    assert not registry.runs_on(r["rmia_offline"], no_pop)
    assert not registry.runs_on(r["quantile"], o)  # its own stage


def test_an_in_tree_attack_is_one_module_and_one_record(tmp_path):
    """docs/extending.md's example, applied to a copy of the library: the module
    and two lines of registry.py; the config's default, the comparison and the
    audit of scores run it, and an unknown name is one line."""
    module, lines = extending_examples("An attack in the tree")
    path, body = module.split("\n", 1)
    src = tmp_path / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(REPO / "workflow/schemas", tmp_path / "workflow/schemas")
    (src / path.removeprefix("# src/")).write_text(body)
    imp, rec = lines.split("\n", 1)[1].strip().split("\n\n")
    rec = rec.replace("\n", "\n    ")
    reg = src / "diffcal/attacks/registry.py"
    text = reg.read_text().replace(
        "\nfrom diffcal.attacks.reference import",
        f"\n{imp}\nfrom diffcal.attacks.reference import",
        1,
    )
    anchor = '    return recs + [\n        AttackSpec("quantile"'
    assert text.count(anchor) == 1
    reg.write_text(text.replace(anchor, f"    {rec}\n{anchor}"))
    changed = [
        str(p.relative_to(tmp_path))
        for p in sorted(src.rglob("*.py"))
        if not (REPO / p.relative_to(tmp_path)).exists()
        or (REPO / p.relative_to(tmp_path)).read_text() != p.read_text()
    ]
    assert changed == ["src/diffcal/attacks/min_gap.py", "src/diffcal/attacks/registry.py"]
    code = """
import numpy as np
from diffcal.attacks import audit, compare
from diffcal.config.errors import ConfigError
from diffcal.config.load import prepare_config
cfg = prepare_config({"datasets": {"x": {"source": "sklearn_digits"}}})
assert cfg["compare"]["attacks"][-2:] == ["min_gap", "quantile"], cfg["compare"]["attacks"]
assert compare.LABELS["min_gap"] == "Min. OUT gap"
rng = np.random.default_rng(0)
t, r = rng.random(5), rng.random((3, 5))
is_in = np.zeros((3, 5), bool)
is_in[0, 0] = True
got = audit.score_attacks(t, r, is_in)["min_gap"]
want = [-(t[i] - min(r[j, i] for j in range(3) if not is_in[j, i])) for i in range(5)]
np.testing.assert_allclose(got, want)
try:
    x = {"source": "sklearn_digits"}
    prepare_config({"datasets": {"x": x}, "compare": {"attacks": ["min_gp"]}})
except ConfigError as e:
    print(e)
"""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(src), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("config key 'compare.attacks': ['min_gp'] not attacks of")
