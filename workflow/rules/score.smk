# Per-sample loss, gradient norm, confidence and correctness of every model.


rule score:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        target=from_model_variant(rules.train_base.output.target),
        shadow=from_model_variant(rules.train_base.output.shadow),
        scratch=reference_chunks("scratch", reference_variant=True),
        forget_target=reference_chunks("forget_target"),
        forget_shadow=reference_chunks("forget_shadow"),
    output:
        scores="results/{dataset}/{variant}/split{part}/scores.parquet",
    params:
        batch_size=lambda w: ds_cfg(w, "score", "batch_size"),
        code=code("score"),
    log:
        "logs/{dataset}/{variant}/split{part}/score.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    priority: longest_first
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/score.py"
