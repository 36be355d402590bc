"""Your own attack as a plugin (attack.extra): loaded from a file or a module, run
by the paper's attacks, the comparison and the audit of scores on the frames the
docs promise, checked against per-sample loops; bad plugins stop in one line that
names the key."""

import pandas as pd
import pytest
from conftest import REPO
from oracles import eval_samples_and_plugin_scores
from sklearn.metrics import roc_auc_score

PLUGINS = REPO / "tests/data/plugins"
GOOD = f"{PLUGINS}/best_reference.py:best_reference"


def test_a_plugin_reaches_every_report_and_editing_it_reruns_only_attacks(tiny_run, tmp_path):
    """A plugin file under tests/, named in attack.extra, with no file of the
    package edited: its rows are in metrics.csv (recomputed here from
    scores.parquet), Table 2, the audit report and the comparison; a second
    invocation plans nothing; editing the file plans the attack jobs and what
    follows them, no training or scoring."""
    import shutil

    import yaml
    from conftest import planned_jobs, snakemake

    wd = shutil.copytree(tiny_run, tmp_path / "wd", symlinks=True)
    cfg_path = wd / "tests/data/tiny.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["attack"]["extra"] = ["tests/data/plugins/best_reference.py:best_reference"]
    cfg["datasets"]["breast_cancer"]["audit_report"] = True
    cfg["compare"] = {
        "datasets": {"breast_cancer": ["plain"]},
        "references": 2,
        "budgets": [2],
        "population": 40,
        "attacks": ["loss", "calibrated_loss"],
    }
    cfg_path.write_text(yaml.safe_dump(cfg))
    args = ("--configfile", "tests/data/tiny.yaml")
    snakemake(wd, "all", "--cores", "2", *args)

    run = wd / "results/breast_cancer/plain/split0-1"
    sc, sp = pd.read_parquet(run / "scores.parquet"), pd.read_parquet(run / "split.parquet")
    sc, sp = sc[sc["split"] == 0], sp[sp["split"] == 0]
    ev, want = eval_samples_and_plugin_scores(sc, sp)
    met = pd.read_csv(run / "metrics.csv")
    row = met[(met["split"] == 0) & (met["attack"] == "best_reference")].iloc[0]
    assert row["auc"] == pytest.approx(roc_auc_score(ev["role"] == "member", want), abs=1e-12)
    assert "| best_reference |" in (wd / "results/tables/default/table2_auc.md").read_text()
    audit = pd.read_csv(wd / "results/audit/breast_cancer/metrics.csv")
    assert "best_reference" in set(audit["attack"])
    assert "best_reference" in (wd / "results/audit/breast_cancer/report.md").read_text()
    pool = run / "pool/compare_metrics.csv"
    assert set(pd.read_csv(pool)["attack"]) == {"loss", "calibrated_loss", "best_reference"}
    assert "| best_reference |" in (wd / "results/compare/default/comparison.md").read_text()

    assert planned_jobs(wd, *args) == []
    plugin = wd / "tests/data/plugins/best_reference.py"
    plugin.write_text(plugin.read_text() + "\n# an edit\n")
    assert {r for r, _ in planned_jobs(wd, *args)} == {
        "attack",
        "tables",
        "figures",
        "audit_report",
        "compare_attack",
        "compare_report",
        "compare_figure",
    }
