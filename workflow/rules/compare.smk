# LiRA / RMIA / difficulty calibration at equal reference budgets (config section
# `compare`, docs/comparison.md). A pool of M references per split trains once;
# attacks and budgets are read from scores, so adding an attack trains no model.

rule train_pool:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
    output:
        models="results/{dataset}/{variant}/split{part}/pool/models{chunk}.pt",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        references=compare_cfg("references"),
        chunk=lambda w: w.chunk,
        seeds=seeds,
        code=train_code("train_pool"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_pool{chunk}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/train_pool.py"


rule score_pool:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        target=from_model_variant(rules.train_base.output.target),
        models=pool_chunk_files,
    output:
        out="results/{dataset}/{variant}/split{part}/pool/pool_scores.parquet",
        membership="results/{dataset}/{variant}/split{part}/pool/membership.parquet",
    params:
        references=compare_cfg("references"),
        population=compare_cfg("population"),
        batch_size=lambda w: ds_cfg(w, "score", "batch_size"),
        seeds=seeds,
        code=code("score_pool"),
    log:
        "logs/{dataset}/{variant}/split{part}/score_pool.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/score_pool.py"


rule compare_quantile:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        scores=rules.score_pool.output.out,
    output:
        out_scores="results/{dataset}/{variant}/split{part}/pool/quantile_scores.parquet",
        out_fit="results/{dataset}/{variant}/split{part}/pool/quantile_fit.csv",
    params:
        quantile=compare_cfg("quantile"),
        seeds=seeds,
        code=code("compare_quantile"),
    log:
        "logs/{dataset}/{variant}/split{part}/compare_quantile.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/compare_quantile.py"


rule compare_attack:
    input:
        scores=rules.score_pool.output.out,
        membership=rules.score_pool.output.membership,
        split=from_model_variant(rules.split.output.split),
        quantile=quantile_scores_file,
    output:
        out_scores="results/{dataset}/{variant}/split{part}/pool/compare_scores.parquet",
        out_metrics="results/{dataset}/{variant}/split{part}/pool/compare_metrics.csv",
    params:
        attacks=compare_cfg("attacks"),
        budgets=compare_cfg("budgets"),
        rmia={"a": compare_cfg("rmia_a"), "gamma": compare_cfg("rmia_gamma")},
        fpr_levels=compare_cfg("fpr_levels"),
        bound=config["privacy_bound"],
        seeds=seeds,
        extra=config["attack"]["extra"],
        code=attack_code("compare_attack"),
    log:
        "logs/{dataset}/{variant}/split{part}/compare_attack.log",
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/compare_attack.py"


rule compare_report:
    input:
        lambda w: [p for r in compare_runs() for k in ("metrics", "scores", "quantile_fit")
                   for p in r[k]],
    output:
        csv=report(f"{CMP}/comparison.csv", category="Comparison"),
        md=report(f"{CMP}/comparison.md", category="Comparison"),
    params:
        runs=compare_runs(),
        attacks=compare_cfg("attacks") + PLUGINS,
        budgets=compare_cfg("budgets"),
        fpr_levels=compare_cfg("fpr_levels"),
        code=code("compare_report"),
    log:
        f"logs/compare/{config['name']}/compare_report.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../scripts/compare_report.py"


rule compare_figure:
    input:
        lambda w: [r["scores"][0] for r in compare_runs()],
    output:
        png=report(f"{CMP}/fig_roc_loglog.png", category="Comparison"),
        pdf=f"{CMP}/fig_roc_loglog.pdf",
    params:
        runs=[{k: r[k] for k in ("dataset", "variant", "label", "scores")}
              for r in compare_runs()],
        attacks=compare_cfg("attacks") + PLUGINS,
        budgets=compare_cfg("budgets"),
        code=code("compare_figure"),
    log:
        f"logs/compare/{config['name']}/compare_figure.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../scripts/compare_figure.py"
