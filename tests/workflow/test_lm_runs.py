"""A language-model audit end to end: a corpus of the user's own, a tiny causal LM
trained from scratch, its references, per-token scores, the report; scores
recomputed from the per-token Parquet; reruns only what a change touches."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import copy_workflow, planned_jobs, snakemake
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from diffcal.training.causal_lm import ByteTokenizer, scored_texts

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
            "references": 2,
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
    # offline LiRA on the two public references, by a per-document Gaussian
    ref_losses = np.stack(
        [
            pd.read_parquet(out / f"tokens/{m}.parquet").groupby("doc")["logp"].mean()
            for m in ("public", "public_2")
        ]
    )
    z = (scores["loss"].to_numpy() - ref_losses.mean(0)) / ref_losses.std(0)
    np.testing.assert_allclose(scores["lira"], norm.logcdf(z), rtol=1e-9)
    for attack in ("loss", "loss-cal:public", "min_kpp@0.2", "blind", "lira", "lira_global"):
        want = roc_auc_score(scores["is_member"], scores[attack])
        assert metrics.loc[attack, "auc"] == pytest.approx(want)
    report = (out / "report.md").read_text()
    assert "# Language-model audit: toy corpus" in report and "Blind baseline" in report
    assert (out / "provenance.json").is_file()


def test_reruns_only_what_a_change_touches(lm_run):
    assert planned_jobs(lm_run, "all", "--configfile", "lm.yaml") == []
    # the same config with its keys in another order plans nothing either
    shuffled = yaml.safe_load((lm_run / "lm.yaml").read_text())
    toy = shuffled["language_models"]["toy"]
    toy["model"] = dict(reversed(list(toy["model"].items())))
    toy["finetune"] = dict(reversed(list(toy["finetune"].items())))
    (lm_run / "shuffled.yaml").write_text(yaml.safe_dump(shuffled, sort_keys=False))
    assert planned_jobs(lm_run, "all", "--configfile", "shuffled.yaml") == []
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
        ("lm_score", "public_2"),
        ("lm_score", "target"),
    ]
    want += [(r, m) for r in ("lm_train",) for m in ("forget", "public", "public_2", "target")]
    assert got == sorted(want)


def test_scores_only_entry_point_gives_the_pipelines_metrics(lm_run, tmp_path):
    """The per-token files the pipeline wrote, audited as files computed elsewhere
    (`lm_audits`), give the pipeline's document scores and metrics exactly; a
    reference on other tokens (another tokenizer) stops in one line naming it."""
    out = lm_run / "results/lm/toy"
    docs = pd.read_parquet(out / "documents.parquet")
    docs = docs[docs["role"].isin(["member", "nonmember"])]
    # what a model with 32 tokens of context scored: zlib compresses that
    scored = scored_texts(docs["text"], ByteTokenizer(), 32)
    assert sum(a != b for a, b in zip(scored, docs["text"], strict=True)) > 0
    docs = docs.assign(is_member=docs["role"] == "member", scored_text=scored)
    docs[["doc", "is_member", "text", "scored_text"]].to_csv(lm_run / "docs.csv", index=False)
    path = "results/lm/toy/tokens/{}.parquet".format
    refs = {m: path(m) for m in ("base", "public", "forget")}
    entry = {"documents": "docs.csv", "target": path("target"), "ks": [0.2], "n_boot": 50}
    lira = {m: path(m) for m in ("public", "public_2")}
    cfg = {
        **CONFIG,
        "lm_audits": {"given": {**entry, "references": refs, "lira_references": lira}},
    }
    cfg["lm_audits"]["given"]["label"] = "toy corpus"
    # the references in the order lm_attack takes them; a config's order is kept
    (lm_run / "given.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    jobs = planned_jobs(lm_run, "all", "--configfile", "given.yaml")
    assert [r for r, _ in jobs] == ["lm_audit_scores"]
    snakemake(lm_run, "all", "--cores", "1", "--configfile", "given.yaml")
    given = lm_run / "results/lm/given"
    for name in ("document_scores.parquet", "metrics.csv", "gains.csv", "report.md"):
        assert (given / name).read_bytes() == (out / name).read_bytes(), name

    tokens = pd.read_parquet(out / "tokens/base.parquet")
    first = tokens["doc"].iloc[0]
    tokens = tokens[~((tokens["doc"] == first) & (tokens["position"] > 3))]
    tokens.to_parquet(lm_run / "other_tokenizer.parquet")
    cfg["lm_audits"]["given"]["references"]["base"] = "other_tokenizer.parquet"
    (lm_run / "bad.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = snakemake(lm_run, "all", "--cores", "1", "--configfile", "bad.yaml", check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "references.base: its tokens are not the target's" in log and "tokenizer" in log


def test_the_thread_count_comes_from_the_config_not_from_cores(lm_run):
    """Retraining the base model with --cores 1 gives the same bytes as the run's
    (--cores 2): its torch threads are the config's `threads` (2), not the cores."""
    base = lm_run / "results/lm/toy/models/base.pt"
    before = base.read_bytes()
    args = ("--configfile", "lm.yaml", "--forcerun", "lm_train", "--until", "lm_train")
    snakemake(lm_run, "results/lm/toy/models/base.pt", "--cores", "1", *args)
    assert base.read_bytes() == before
    # and the thread count does matter: one torch thread trains other bytes
    cfg = yaml.safe_load((lm_run / "lm.yaml").read_text())
    cfg["language_models"]["toy"]["threads"] = 1
    (lm_run / "one.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(lm_run, "results/lm/toy/models/base.pt", "--cores", "1", "--configfile", "one.yaml")
    assert base.read_bytes() != before
