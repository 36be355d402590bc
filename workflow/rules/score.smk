# Per-sample loss, gradient norm, confidence and correctness of every model.


rule score:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
        target=T.from_model_variant(rules.train_base.output.target),
        shadow=T.from_model_variant(rules.train_base.output.shadow),
        scratch=P.reference_chunks(rules, "scratch", reference_variant=True),
        forget_target=P.reference_chunks(rules, "forget_target"),
        forget_shadow=P.reference_chunks(rules, "forget_shadow"),
    output:
        scores="results/{dataset}/{variant}/split{part}/scores.parquet",
    log:
        "logs/{dataset}/{variant}/split{part}/score.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        batch_size=lambda w: P.ds_cfg(w, "score", "batch_size"),
        code=D.code("score"),
    script:
        "../scripts/score.py"
