# Label-only boundary-distance attack (paper Table 4): HopSkipJump against every
# model of a part. Reads existing models only; never trains or scores one.


rule label_only:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
        target=T.from_model_variant(rules.train_base.output.target),
        shadow=T.from_model_variant(rules.train_base.output.shadow),
        scratch=P.reference_chunks(rules, "scratch", reference_variant=True),
        forget_target=P.reference_chunks(rules, "forget_target"),
        forget_shadow=P.reference_chunks(rules, "forget_shadow"),
    output:
        out="results/{dataset}/{variant}/split{part}/label_only.parquet",
    log:
        "logs/{dataset}/{variant}/split{part}/label_only.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.label_only_threads
    resources:
        **TRAIN_RESOURCES,
    params:
        cfg=P.label_only_cfg,
        seeds=P.seeds,
        code=D.code("label_only"),
    script:
        "../scripts/label_only.py"
