# Label-only boundary-distance attack (paper Table 4): HopSkipJump against every
# model of a part. Reads existing models only; never trains or scores one.


rule label_only:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        target=from_model_variant(rules.train_base.output.target),
        shadow=from_model_variant(rules.train_base.output.shadow),
        scratch=reference_chunks("scratch", reference_variant=True),
        forget_target=reference_chunks("forget_target"),
        forget_shadow=reference_chunks("forget_shadow"),
    output:
        out="results/{dataset}/{variant}/split{part}/label_only.parquet",
    params:
        cfg=label_only_cfg,
        seeds=seeds,
        code=code("label_only"),
    log:
        "logs/{dataset}/{variant}/split{part}/label_only.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: label_only_threads
    priority: longest_first
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/label_only.py"
