# Per-sample loss, gradient norm, confidence and correctness of every model.


rule score:
    input:
        data=rules.prepare.output.data,
        split=rules.split.output.split,
        target=with_role(rules.train_base.output.model, "target"),
        shadow=with_role(rules.train_base.output.model, "shadow"),
        scratch=rules.train_scratch.output.models,
        forget_target=with_role(rules.train_forget.output.models, "target"),
        forget_shadow=with_role(rules.train_forget.output.models, "shadow"),
    output:
        scores="results/{dataset}/{variant}/split{split}/scores.parquet",
    params:
        batch_size=lambda w: ds_cfg(w, "score", "batch_size"),
        code=code("score"),
    log:
        "logs/{dataset}/{variant}/split{split}/score.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        mem_mb=res("mem_mb"),
        runtime=res("runtime"),
        gpu=res("gpu"),
    script:
        "../scripts/score.py"
