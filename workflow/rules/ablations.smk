# The paper's ablations (section 4.3): Figures 3-6 and their report. These rules
# read what the attack, score and training rules wrote and never train or score a
# model, so a new ratio or a different K reruns only them.


rule fig_train_size:
    input:
        lambda w: T.ablation_files(rules.attack.output.metrics, "train_size", w.dataset),
    output:
        png=report(
            f"{ABL}/{{dataset}}/fig3_train_size.png",
            caption="../report/fig3.rst",
            category="Figure 3",
            labels={"dataset": "{dataset}", "format": "png"},
        ),
        pdf=f"{ABL}/{{dataset}}/fig3_train_size.pdf",
        csv=report(
            f"{ABL}/{{dataset}}/fig3_train_size.csv",
            caption="../report/fig3.rst",
            category="Figure 3",
            labels={"dataset": "{dataset}", "format": "csv"},
        ),
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/fig3.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        metrics_files=lambda w: T.per_variant(
            rules.attack.output.metrics, w.dataset, T.abl("train_size")[w.dataset]
        ),
        title=P.fig_title,
        code=D.code("fig_train_size"),
    script:
        "../scripts/fig_train_size.py"


rule fig_ratio:
    input:
        lambda w: T.per_variant(rules.attack.output.attack_scores, w.dataset, [w.variant])[
            w.variant
        ],
    output:
        png=report(
            f"{ABL}/{{dataset}}/{{variant}}/fig4_ratio.png",
            caption="../report/fig4.rst",
            category="Figure 4",
            labels={"dataset": "{dataset}", "variant": "{variant}", "format": "png"},
        ),
        pdf=f"{ABL}/{{dataset}}/{{variant}}/fig4_ratio.pdf",
        csv=report(
            f"{ABL}/{{dataset}}/{{variant}}/fig4_ratio.csv",
            caption="../report/fig4.rst",
            category="Figure 4",
            labels={"dataset": "{dataset}", "variant": "{variant}", "format": "csv"},
        ),
        curves=f"{ABL}/{{dataset}}/{{variant}}/fig4_pr_curves.csv",
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/{{variant}}/fig4.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        ratios=config["ablations"].get("ratio", {}).get("ratios", []),
        recall_levels=config["attack"]["recall_levels"],
        root_seed=config["root_seed"],
        seed_key=P.seed_key,
        title=lambda w: dview.label(config, w.dataset, w.variant),
        code=D.code("fig_ratio"),
    script:
        "../scripts/fig_ratio.py"


rule fig_references:
    input:
        scores=lambda w: T.ablation_files(rules.score.output.scores, "references", w.dataset),
        splits=lambda w: T.ablation_files(rules.split.output.split, "references", w.dataset, True),
    output:
        png=report(
            f"{ABL}/{{dataset}}/fig5_references.png",
            caption="../report/fig5.rst",
            category="Figure 5",
            labels={"dataset": "{dataset}", "format": "png"},
        ),
        pdf=f"{ABL}/{{dataset}}/fig5_references.pdf",
        csv=report(
            f"{ABL}/{{dataset}}/fig5_references.csv",
            caption="../report/fig5.rst",
            category="Figure 5",
            labels={"dataset": "{dataset}", "format": "csv"},
        ),
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/fig5.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        scores=lambda w: T.per_variant(
            rules.score.output.scores, w.dataset, T.abl("references")[w.dataset]
        ),
        splits=lambda w: T.per_variant(
            rules.split.output.split, w.dataset, T.abl("references")[w.dataset], True
        ),
        size_fractions=lambda w: {
            v: dview.references(config, w.dataset, v)["size_fraction"]
            for v in T.abl("references")[w.dataset]
        },
        max_k=config["ablations"].get("references", {}).get("max_k", 10),
        title=P.fig_title,
        code=D.code("fig_references"),
    script:
        "../scripts/fig_references.py"


rule fig_dp:
    input:
        attack_scores=lambda w: T.ablation_files(rules.attack.output.attack_scores, "dp", w.dataset),
        metrics=lambda w: T.ablation_files(rules.attack.output.metrics, "dp", w.dataset),
        targets=lambda w: T.ablation_files(rules.train_base.output.target, "dp", w.dataset, True),
    output:
        png=report(
            f"{ABL}/{{dataset}}/fig6_dp.png",
            caption="../report/fig6.rst",
            category="Figure 6",
            labels={"dataset": "{dataset}", "format": "png"},
        ),
        pdf=f"{ABL}/{{dataset}}/fig6_dp.pdf",
        csv=report(
            f"{ABL}/{{dataset}}/fig6_dp.csv",
            caption="../report/fig6.rst",
            category="Figure 6",
            labels={"dataset": "{dataset}", "format": "csv"},
        ),
        curves=f"{ABL}/{{dataset}}/fig6_curves.csv",
        tradeoff_png=report(
            f"{ABL}/{{dataset}}/fig6_tradeoff.png",
            caption="../report/fig6_tradeoff.rst",
            category="Figure 6",
            labels={"dataset": "{dataset}", "format": "trade-off png"},
        ),
        tradeoff_pdf=f"{ABL}/{{dataset}}/fig6_tradeoff.pdf",
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/fig6.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        attack_scores=lambda w: T.per_variant(
            rules.attack.output.attack_scores, w.dataset, T.abl("dp")[w.dataset]
        ),
        metrics_files=lambda w: T.per_variant(
            rules.attack.output.metrics, w.dataset, T.abl("dp")[w.dataset]
        ),
        targets=lambda w: T.per_variant(
            rules.train_base.output.target, w.dataset, T.abl("dp")[w.dataset], True
        ),
        fpr_levels=config["attack"]["fpr_levels"],
        bound=config["privacy_bound"],
        root_seed=config["root_seed"],
        title=P.fig_title,
        code=D.code("fig_dp"),
    script:
        "../scripts/fig_dp.py"


rule ablations_doc:
    input:
        fig3=T.ablation_csvs(rules.fig_train_size, "train_size").values(),
        fig4=T.ablation_csvs(rules.fig_ratio, "ratio", variant_wise=True).values(),
        fig5=T.ablation_csvs(rules.fig_references, "references").values(),
        fig6=T.ablation_csvs(rules.fig_dp, "dp").values(),
    output:
        md=report(
            f"{ABL}/ablations.md",
            caption="../report/ablations.rst",
            category="Ablations",
            labels={"table": "claims", "format": "md"},
        ),
    log:
        f"logs/ablations/{config['name']}/ablations_doc.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        name=config["name"],
        fig3=T.ablation_csvs(rules.fig_train_size, "train_size"),
        fig4=T.ablation_csvs(rules.fig_ratio, "ratio", variant_wise=True),
        fig5=T.ablation_csvs(rules.fig_references, "references"),
        fig6=T.ablation_csvs(rules.fig_dp, "dp"),
        figure_files=[p for p in T.ablation_figures(rules) if p.endswith(".png")],
        code=D.code("ablations_doc"),
    script:
        "../scripts/ablations_doc.py"


# One-run privacy audit (Steinke, Nasr, Jagielski 2023; config `ablations.one_run`):
# one more DP training run per listed variant, on the first split's members plus
# coin-flipped canaries (docs/auditing.md). Reuses the variant's split and scores.


rule train_canary:
    input:
        data=rules.prepare.output.data,
        split=T.first_part(rules.split.output.split, model_variant=True),
        references=P.canary_references(rules),
    output:
        models="results/{dataset}/{variant}/{canary_dir}/canary_target.pt",
        canaries_out="results/{dataset}/{variant}/{canary_dir}/canaries.parquet",
    log:
        "logs/{dataset}/{variant}/{canary_dir}/train_canary.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        model_cfg=lambda w: P.ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        dp=lambda w: dview.dp(config, w.dataset, w.variant),
        canaries=P.one_run_canaries,
        kind=P.canary_kind,
        seeds=P.seeds,
        code=D.train_code("train_canary"),
    script:
        "../scripts/train_canary.py"


rule one_run_audit:
    input:
        canaries=rules.train_canary.output.canaries_out,
        scores=T.first_part(rules.score.output.scores),
    output:
        out="results/{dataset}/{variant}/{canary_dir}/one_run.csv",
        bounds="results/{dataset}/{variant}/{canary_dir}/one_run_bounds.csv",
    log:
        "logs/{dataset}/{variant}/{canary_dir}/one_run_audit.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        ms=config["ablations"].get("one_run", {}).get("m", []),
        ks=config["ablations"].get("one_run", {}).get("k", []),
        delta=P.one_run_delta,
        code=D.code("one_run_audit"),
    script:
        "../scripts/one_run_audit.py"


rule one_run_report:
    input:
        [p for r in T.one_run_runs(rules) for p in [r["table"], r["bounds"], r["model"]]],
        T.ablation_csvs(rules.fig_dp, "dp").values(),
    output:
        csv=f"{ABL}/one_run.csv",
        bounds_csv=f"{ABL}/one_run_bounds.csv",
        md=f"{ABL}/one_run.md",
    log:
        f"logs/ablations/{config['name']}/one_run_report.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        runs=T.one_run_runs(rules),
        fig6=T.ablation_csvs(rules.fig_dp, "dp"),
        code=D.code("one_run_report"),
    script:
        "../scripts/one_run_report.py"
