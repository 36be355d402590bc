# LiRA / RMIA / difficulty calibration at equal reference budgets (config section
# `compare`, docs/comparison.md). A pool of M references per split trains once;
# attacks and budgets are read from scores, so adding an attack trains no model.


rule train_pool:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
    output:
        models="results/{dataset}/{variant}/split{part}/pool/models{chunk}.pt",
    log:
        "logs/{dataset}/{variant}/split{part}/train_pool{chunk}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        model_cfg=lambda w: P.ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        references=P.compare_cfg("references"),
        chunk=lambda w: w.chunk,
        seeds=P.seeds,
        code=D.train_code("train_pool"),
    script:
        "../scripts/train_pool.py"


rule score_pool:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
        target=T.from_model_variant(rules.train_base.output.target),
        models=P.pool_chunk_files(rules),
    output:
        out="results/{dataset}/{variant}/split{part}/pool/pool_scores.parquet",
        membership="results/{dataset}/{variant}/split{part}/pool/membership.parquet",
    log:
        "logs/{dataset}/{variant}/split{part}/score_pool.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        references=P.compare_cfg("references"),
        population=P.compare_cfg("population"),
        batch_size=lambda w: P.ds_cfg(w, "score", "batch_size"),
        seeds=P.seeds,
        code=D.code("score_pool"),
    script:
        "../scripts/score_pool.py"


rule compare_quantile:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
        scores=rules.score_pool.output.out,
    output:
        out_scores="results/{dataset}/{variant}/split{part}/pool/quantile_scores.parquet",
        out_fit="results/{dataset}/{variant}/split{part}/pool/quantile_fit.csv",
    log:
        "logs/{dataset}/{variant}/split{part}/compare_quantile.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        quantile=P.compare_cfg("quantile"),
        seeds=P.seeds,
        code=D.code("compare_quantile"),
    script:
        "../scripts/compare_quantile.py"


rule compare_attack:
    input:
        scores=rules.score_pool.output.out,
        membership=rules.score_pool.output.membership,
        split=T.from_model_variant(rules.split.output.split),
        quantile=P.quantile_scores_file(rules),
    output:
        out_scores="results/{dataset}/{variant}/split{part}/pool/compare_scores.parquet",
        out_metrics="results/{dataset}/{variant}/split{part}/pool/compare_metrics.csv",
    log:
        "logs/{dataset}/{variant}/split{part}/compare_attack.log",
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        attacks=P.compare_cfg("attacks"),
        budgets=P.compare_cfg("budgets"),
        rmia={"a": P.compare_cfg("rmia_a"), "gamma": P.compare_cfg("rmia_gamma")},
        fpr_levels=P.compare_cfg("fpr_levels"),
        bound=config["privacy_bound"],
        seeds=P.seeds,
        extra=config["attack"]["extra"],
        code=D.attack_code("compare_attack"),
    script:
        "../scripts/compare_attack.py"


rule compare_report:
    input:
        lambda w: [
            p
            for r in T.compare_runs(rules)
            for k in ("metrics", "scores", "quantile_fit")
            for p in r[k]
        ],
    output:
        csv=report(f"{CMP}/comparison.csv", category="Comparison"),
        md=report(f"{CMP}/comparison.md", category="Comparison"),
    log:
        f"logs/compare/{config['name']}/compare_report.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        runs=T.compare_runs(rules),
        attacks=P.compare_cfg("attacks") + PLUGINS,
        budgets=P.compare_cfg("budgets"),
        fpr_levels=P.compare_cfg("fpr_levels"),
        bound=config["privacy_bound"],
        code=D.code("compare_report"),
    script:
        "../scripts/compare_report.py"


rule compare_figure:
    input:
        lambda w: [r["scores"][0] for r in T.compare_runs(rules)],
    output:
        png=report(f"{CMP}/fig_roc_loglog.png", category="Comparison"),
        pdf=f"{CMP}/fig_roc_loglog.pdf",
    log:
        f"logs/compare/{config['name']}/compare_figure.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        runs=[
            {k: r[k] for k in ("dataset", "variant", "label", "scores")}
            for r in T.compare_runs(rules)
        ],
        attacks=P.compare_cfg("attacks") + PLUGINS,
        budgets=P.compare_cfg("budgets"),
        code=D.code("compare_figure"),
    script:
        "../scripts/compare_figure.py"
