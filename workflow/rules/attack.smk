# Attack scores (Orig / Cal / Cal-F) and metrics of every split of a part. Never retrains a model.


rule attack:
    input:
        scores=rules.score.output.scores,
        split=T.from_model_variant(rules.split.output.split),
        label_only=P.label_only_input(rules),
    output:
        attack_scores="results/{dataset}/{variant}/split{part}/attack_scores.parquet",
        metrics="results/{dataset}/{variant}/split{part}/metrics.csv",
        bootstrap="results/{dataset}/{variant}/split{part}/bootstrap.parquet",
    log:
        "logs/{dataset}/{variant}/split{part}/attack.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        cfg=dview.canonical(config["attack"]),
        code=D.attack_code("attack"),
    script:
        "../scripts/attack.py"
