# Attack scores (Orig / Cal / Cal-F) and metrics of every split of a part. Never retrains a model.


rule attack:
    input:
        scores=rules.score.output.scores,
        split=from_model_variant(rules.split.output.split),
        label_only=label_only_input,
    output:
        attack_scores="results/{dataset}/{variant}/split{part}/attack_scores.parquet",
        metrics="results/{dataset}/{variant}/split{part}/metrics.csv",
        bootstrap="results/{dataset}/{variant}/split{part}/bootstrap.parquet",
    params:
        cfg=dview.canonical(config["attack"]),
        code=attack_code("attack"),
    log:
        "logs/{dataset}/{variant}/split{part}/attack.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    script:
        "../scripts/attack.py"
