"""A language-model audit end to end: a corpus of the user's own, a tiny causal LM
trained from scratch, its references, per-token scores, the report; scores
recomputed from the per-token Parquet; reruns only what a change touches."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import copy_workflow, planned_jobs, snakemake
from sklearn.metrics import roc_auc_score

CONFIG = {
    "name": "lm",
    "language_models": {
        "toy": {
            "label": "toy corpus",
            "corpus": {"source": "file", "path": "corpus.jsonl", "column": "body"},
            "model": {"context": 32, "dim": 32, "layers": 1, "heads": 2},
            "pretrain": {"epochs": 2, "lr": 0.003},
            "finetune": {"epochs": 8, "lr": 0.003},
            "forget": {"epochs": 1, "lr": 0.001},
            "ks": [0.2],
            "n_boot": 50,
        }
    },
}


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    wd = copy_workflow(tmp_path_factory.mktemp("lm"))
    rng = np.random.default_rng(0)
    words = "apple river stone cloud night bread green quick slow light".split()
    docs = [" ".join(rng.choice(words, size=rng.integers(3, 8))) for _ in range(120)]
    (wd / "corpus.jsonl").write_text(
        "".join(f'{{"body": "{d} {i}"}}\n' for i, d in enumerate(docs))
    )
    (wd / "lm.yaml").write_text(yaml.safe_dump(CONFIG))
    snakemake(wd, "all", "--cores", "2", "--configfile", "lm.yaml")
    return wd


def test_the_report_and_scores_recomputed_from_the_per_token_parquet(lm_run):
    out = lm_run / "results/lm/toy"
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs["role"].value_counts().to_dict() == {
        r: 30 for r in ("member", "nonmember", "public", "pretrain")
    }
    scores = pd.read_parquet(out / "document_scores.parquet")
    tokens = pd.read_parquet(out / "tokens/target.parquet")
    base = pd.read_parquet(out / "tokens/base.parquet")
    # loss and its calibration by the base model, by a per-document loop
    for d in scores["doc"][:10]:
        t, b = tokens[tokens["doc"] == d], base[base["doc"] == d]
        row = scores[scores["doc"] == d].iloc[0]
        assert row["loss"] == pytest.approx(t["logp"].mean())
        assert row["loss-cal:base"] == pytest.approx(t["logp"].mean() - b["logp"].mean())
    metrics = pd.read_csv(out / "metrics.csv").set_index("attack")
    for attack in ("loss", "loss-cal:public", "min_kpp@0.2", "blind"):
        want = roc_auc_score(scores["is_member"], scores[attack])
        assert metrics.loc[attack, "auc"] == pytest.approx(want)
    report = (out / "report.md").read_text()
    assert "# Language-model audit: toy corpus" in report and "Blind baseline" in report
    assert (out / "provenance.json").is_file()


def test_reruns_only_what_a_change_touches(lm_run):
    assert planned_jobs(lm_run, "all", "--configfile", "lm.yaml") == []
    cfg = yaml.safe_load((lm_run / "lm.yaml").read_text())
    cfg["language_models"]["toy"]["ks"] = [0.1, 0.2]
    (lm_run / "k.yaml").write_text(yaml.safe_dump(cfg))
    assert [r for r, _ in planned_jobs(lm_run, "all", "--configfile", "k.yaml")] == ["lm_attack"]
    cfg["language_models"]["toy"]["finetune"]["epochs"] = 9
    (lm_run / "ft.yaml").write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(lm_run, "all", "--configfile", "ft.yaml")
    got = sorted((r, w.get("model", "")) for r, w in jobs)
    want = [
        ("lm_attack", ""),
        ("lm_score", "forget"),
        ("lm_score", "public"),
        ("lm_score", "target"),
    ]
    want += [("lm_train", "forget"), ("lm_train", "public"), ("lm_train", "target")]
    assert got == sorted(want)
