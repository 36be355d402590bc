"""The workflow's file lists (diffcal.config.targets), in-process: what `all` asks
for and what the report, ablation, comparison and audit rules read, from a config
and stand-ins for the rules' output patterns."""

from types import SimpleNamespace as NS

import pytest
from conftest import REPO

from diffcal.config.load import load_config
from diffcal.config.targets import TABLES, Targets

RUN = "results/{dataset}/{variant}/split{part}"
RULES = NS(
    split=NS(output=NS(split=f"{RUN}/split.parquet")),
    score=NS(output=NS(scores=f"{RUN}/scores.parquet")),
    train_base=NS(output=NS(target=f"{RUN}/models/target.pt")),
    attack=NS(
        output=NS(
            metrics=f"{RUN}/metrics.csv",
            bootstrap=f"{RUN}/bootstrap.parquet",
            attack_scores=f"{RUN}/attack_scores.parquet",
        )
    ),
    tables=NS(output=[f"results/tables/t/{n}.md" for n in TABLES]),
    figures=NS(output=["results/figures/{dataset}/{variant}/fig1.png"]),
    fig_train_size=NS(output=["a/{dataset}/fig3.png", "a/{dataset}/fig3.csv"]),
    fig_ratio=NS(output=["a/{dataset}/{variant}/fig4.png"]),
    fig_references=NS(output=["a/{dataset}/fig5.png"]),
    fig_dp=NS(output=["a/{dataset}/fig6.png"]),
    ablations_doc=NS(output=["a/ablations.md"]),
    one_run_report=NS(output=["a/one_run.md"]),
    one_run_audit=NS(
        output=NS(
            out="results/{dataset}/{variant}/{canary_dir}/one_run.csv",
            bounds="results/{dataset}/{variant}/{canary_dir}/one_run_bounds.csv",
        )
    ),
    train_canary=NS(output=NS(models="results/{dataset}/{variant}/{canary_dir}/canary_target.pt")),
    compare_report=NS(output=["c/comparison.md"]),
    compare_figure=NS(output=["c/fig.png"]),
    compare_attack=NS(output=NS(out_metrics=f"{RUN}/m.csv", out_scores=f"{RUN}/s.parquet")),
    compare_quantile=NS(output=NS(out_fit=f"{RUN}/q.json")),
    audit_scores=NS(output=NS(attack_scores="results/audit/{audit}/attack_scores.parquet")),
    audit_report=NS(output=NS(html="results/audit/{audit}/report.html")),
)


@pytest.fixture(scope="module")
def tiny():
    return Targets(load_config(REPO / "tests/data/tiny.yaml"))


@pytest.fixture(scope="module")
def ablations():
    return Targets(load_config(REPO / "tests/data/ablations_tiny.yaml"))


def test_table_runs_name_one_entry_per_split_with_its_parts_files(tiny):
    runs = tiny.table_runs(RULES)
    # breast cancer: 2 splits in one part; digits: 1 split
    assert [(r["dataset"], r["split"]) for r in runs] == [
        ("breast_cancer", 0),
        ("breast_cancer", 1),
        ("digits", 0),
    ]
    assert runs[1]["metrics"] == "results/breast_cancer/plain/split0-1/metrics.csv"
    assert runs[2]["split_file"] == "results/digits/plain/split0/split.parquet"


def test_all_outputs_are_tables_figures_and_nothing_unasked(tiny):
    out = tiny.all_outputs(RULES)
    assert out == [
        *RULES.tables.output,
        "results/figures/breast_cancer/plain/fig1.png",
        "results/figures/digits/plain/fig1.png",
    ]


def test_a_variant_reads_the_split_of_its_targets_from_variant(ablations):
    got = ablations.ablation_files(RULES.split.output.split, "references", "digits", True)
    # ref30 takes plain's targets: both read plain's split files (2 splits, 1 part)
    assert got == ["results/digits/plain/split0-1/split.parquet"] * 2
    own = ablations.ablation_files(RULES.score.output.scores, "references", "digits")
    assert own == [
        "results/digits/ref30/split0-1/scores.parquet",
        "results/digits/plain/split0-1/scores.parquet",
    ]
    w = NS(dataset="digits", variant="ref30", part="0-1")
    assert ablations.from_model_variant(RULES.split.output.split)(w) == own[1].replace(
        "scores", "split"
    )


def test_a_dp_variant_with_non_private_references_shares_its_twins_models(ablations):
    twin = {"dataset": "digits", "variant": "eps1", "part": "0-1", "chunk": "0-2"}
    w = NS(**twin, items=lambda: twin.items())
    pattern = "results/{dataset}/{variant}/split{part}/models/scratch{chunk}.pt"
    assert ablations.reference_variant["digits", "eps1"] == "plain"
    assert (
        ablations.shared_model(pattern)(w) == "results/digits/plain/split0-1/models/scratch0-2.pt"
    )
    own = {**twin, "variant": "eps100"}
    assert ablations.shared_model(pattern)(NS(**own, items=lambda: own.items())) == []


def test_ablation_outputs_follow_the_config(ablations):
    figs = ablations.ablation_figures(RULES)
    assert figs == [
        "a/digits/fig3.png",
        "a/digits/fig3.csv",
        "a/digits/plain/fig4.png",
        "a/digits/fig5.png",
        "a/digits/fig6.png",
    ]
    assert ablations.all_outputs(RULES)[-len(figs) - 2 :] == [
        *figs,
        "a/ablations.md",
        "a/one_run.md",
    ]
    natural, mislabelled = ablations.one_run_runs(RULES)
    assert (natural["variant"], natural["epsilon"]) == ("eps100", 100)
    assert natural["table"] == "results/digits/eps100/one_run/one_run.csv"
    assert natural["bounds"] == "results/digits/eps100/one_run/one_run_bounds.csv"
    assert natural["model"] == "results/digits/eps100/one_run/canary_target.pt"
    assert (natural["canaries"], mislabelled["canaries"]) == ("natural", "mislabelled")
    assert mislabelled["table"] == "results/digits/eps100/one_run_mislabelled/one_run.csv"


def test_audits_read_their_own_files_or_the_datasets_parts(tmp_path):
    cfg = load_config(REPO / "tests/data/tiny.yaml")
    cfg["audits"] = {"mine": {"scores": {}}}
    cfg["datasets"]["digits"]["audit_report"] = True
    t = Targets(cfg)
    assert t.audit_names == ["mine", "digits"]
    assert t.audit_parts(RULES, "mine", "attack_scores") == [
        "results/audit/mine/attack_scores.parquet"
    ]
    assert t.audit_parts(RULES, "digits", "attack_scores") == [
        "results/digits/plain/split0/attack_scores.parquet"
    ]
    assert t.all_outputs(RULES)[-2:] == [
        "results/audit/mine/report.html",
        "results/audit/digits/report.html",
    ]
    assert t.audit_what("mine").startswith("Scores computed outside diffcal")
