# The paper's ablations (section 4.3): Figures 3-6 and their report. These rules
# read what the attack, score and training rules wrote and never train or score a
# model, so a new ratio or a different K reruns only them.

rule fig_train_size:
    input:
        lambda w: flat(per_variant(rules.attack.output.metrics, w.dataset, abl("train_size")[w.dataset])),
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
    params:
        metrics_files=lambda w: per_variant(
            rules.attack.output.metrics, w.dataset, abl("train_size")[w.dataset]
        ),
        title=fig_title,
        code=code("fig_train_size"),
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/fig3.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/fig_train_size.py"


rule fig_ratio:
    input:
        lambda w: per_variant(rules.attack.output.attack_scores, w.dataset, [w.variant])[w.variant],
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
    params:
        ratios=config["ablations"].get("ratio", {}).get("ratios", []),
        recall_levels=config["attack"]["recall_levels"],
        root_seed=config["root_seed"],
        seed_key=seed_key,
        title=lambda w: dview.label(config, w.dataset, w.variant),
        code=code("fig_ratio"),
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/{{variant}}/fig4.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/fig_ratio.py"


rule fig_references:
    input:
        scores=lambda w: flat(per_variant(rules.score.output.scores, w.dataset, abl("references")[w.dataset])),
        splits=lambda w: flat(
            per_variant(rules.split.output.split, w.dataset, abl("references")[w.dataset], True)
        ),
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
    params:
        scores=lambda w: per_variant(rules.score.output.scores, w.dataset, abl("references")[w.dataset]),
        splits=lambda w: per_variant(
            rules.split.output.split, w.dataset, abl("references")[w.dataset], True
        ),
        size_fractions=lambda w: {
            v: dview.references(config, w.dataset, v)["size_fraction"]
            for v in abl("references")[w.dataset]
        },
        max_k=config["ablations"].get("references", {}).get("max_k", 10),
        title=fig_title,
        code=code("fig_references"),
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/fig5.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../scripts/fig_references.py"


rule fig_dp:
    input:
        attack_scores=lambda w: flat(per_variant(rules.attack.output.attack_scores, w.dataset, abl("dp")[w.dataset])),
        metrics=lambda w: flat(per_variant(rules.attack.output.metrics, w.dataset, abl("dp")[w.dataset])),
        targets=lambda w: flat(
            per_variant(rules.train_base.output.target, w.dataset, abl("dp")[w.dataset], True)
        ),
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
    params:
        attack_scores=lambda w: per_variant(rules.attack.output.attack_scores, w.dataset, abl("dp")[w.dataset]),
        metrics_files=lambda w: per_variant(
            rules.attack.output.metrics, w.dataset, abl("dp")[w.dataset]
        ),
        targets=lambda w: per_variant(
            rules.train_base.output.target, w.dataset, abl("dp")[w.dataset], True
        ),
        fpr_levels=config["attack"]["fpr_levels"],
        bound=config["privacy_bound"],
        root_seed=config["root_seed"],
        title=fig_title,
        code=code("fig_dp"),
    log:
        f"logs/ablations/{config['name']}/{{dataset}}/fig6.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=4000,
        runtime=10,
    script:
        "../scripts/fig_dp.py"


rule ablations_doc:
    input:
        fig3=ablation_csvs(rules.fig_train_size, "train_size").values(),
        fig4=ablation_csvs(rules.fig_ratio, "ratio", variant_wise=True).values(),
        fig5=ablation_csvs(rules.fig_references, "references").values(),
        fig6=ablation_csvs(rules.fig_dp, "dp").values(),
    output:
        md=report(
            f"{ABL}/ablations.md",
            caption="../report/ablations.rst",
            category="Ablations",
            labels={"table": "claims", "format": "md"},
        ),
    params:
        name=config["name"],
        fig3=ablation_csvs(rules.fig_train_size, "train_size"),
        fig4=ablation_csvs(rules.fig_ratio, "ratio", variant_wise=True),
        fig5=ablation_csvs(rules.fig_references, "references"),
        fig6=ablation_csvs(rules.fig_dp, "dp"),
        figure_files=ablation_outputs_png(),
        code=code("ablations_doc"),
    log:
        f"logs/ablations/{config['name']}/ablations_doc.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/ablations_doc.py"


# One-run privacy audit (Steinke, Nasr, Jagielski 2023; config `ablations.one_run`):
# one more DP training run per listed variant, on the first split's members plus
# coin-flipped canaries (docs/auditing.md). Reuses the variant's split and scores.


rule train_canary:
    input:
        data=rules.prepare.output.data,
        split=first_part(rules.split.output.split, model_variant=True),
    output:
        models="results/{dataset}/{variant}/one_run/canary_target.pt",
        canaries_out="results/{dataset}/{variant}/one_run/canaries.parquet",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        dp=lambda w: dview.dp(config, w.dataset, w.variant),
        canaries=config["ablations"].get("one_run", {}).get("canaries", 0),
        seeds=seeds,
        code=train_code("train_canary"),
    log:
        "logs/{dataset}/{variant}/one_run/train_canary.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/train_canary.py"


rule one_run_audit:
    input:
        canaries=rules.train_canary.output.canaries_out,
        scores=first_part(rules.score.output.scores),
    output:
        out="results/{dataset}/{variant}/one_run/one_run.csv",
    params:
        ms=config["ablations"].get("one_run", {}).get("m", []),
        ks=config["ablations"].get("one_run", {}).get("k", []),
        delta=one_run_delta,
        code=code("one_run_audit"),
    log:
        "logs/{dataset}/{variant}/one_run/one_run_audit.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/one_run_audit.py"


rule one_run_report:
    input:
        [p for r in one_run_runs() for p in [r["table"]]],
    output:
        csv=f"{ABL}/one_run.csv",
        md=f"{ABL}/one_run.md",
    params:
        runs=one_run_runs(),
        code=code("one_run_report"),
    log:
        f"logs/ablations/{config['name']}/one_run_report.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/one_run_report.py"
