# Raw data -> prepared arrays -> one split (member/non-member/public roles) per index.


rule prepare:
    output:
        data="results/{dataset}/data.npz",
    params:
        source=lambda w: ds_cfg(w, "source"),
        data_dir=config["data_dir"],
        code=code("prepare"),
    log:
        "logs/{dataset}/prepare.log",
    conda:
        "../../envs/diffcal.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/prepare.py"


rule split:
    input:
        data=rules.prepare.output.data,
    output:
        split="results/{dataset}/{variant}/split{split}/split.parquet",
    params:
        cfg=lambda w: dconf.split_config(config, w.dataset, w.variant),
        root_seed=config["root_seed"],
        code=code("prepare"),
    log:
        "logs/{dataset}/{variant}/split{split}/split.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    script:
        "../scripts/split.py"
