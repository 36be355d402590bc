# Target and shadow target, scratch references, forgetting references.
# One job trains all models of a kind for every split of a part (`splits_per_job`).


rule train_base:
    input:
        data=rules.prepare.output.data,
        split=rules.split.output.split,
    output:
        target="results/{dataset}/{variant}/split{part}/models/target.pt",
        shadow="results/{dataset}/{variant}/split{part}/models/shadow.pt",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dconf.recipe(config, w.dataset, w.variant),
        dp=lambda w: dconf.dp(config, w.dataset, w.variant),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train_base"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_base.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        mem_mb=res("mem_mb"),
        runtime=res("runtime"),
        gpu=res("gpu"),
    script:
        "../scripts/train_base.py"


rule train_scratch:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
    output:
        models="results/{dataset}/{variant}/split{part}/models/scratch.pt",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dconf.recipe(config, w.dataset, w.variant),
        n_models=lambda w: refs(w, "scratch"),
        size_fraction=lambda w: refs(w, "size_fraction"),
        early_stopping=lambda w: refs(w, "early_stopping"),
        patience=lambda w: refs(w, "patience"),
        dp=lambda w: dconf.dp(config, w.dataset, w.variant),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train_scratch"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_scratch.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        mem_mb=res("mem_mb"),
        runtime=res("runtime"),
        gpu=res("gpu"),
    script:
        "../scripts/train_scratch.py"


rule tune_forget:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        shadow=from_model_variant(rules.train_base.output.shadow),
    output:
        chosen="results/{dataset}/{variant}/split{part}/forget_tuning.json",
        table="results/{dataset}/{variant}/split{part}/forget_tuning.csv",
    params:
        recipe=lambda w: dconf.forget_recipe(config, w.dataset, w.variant),
        grid=lambda w: dict(sorted(ds_cfg(w, "forget_tuning").items())),  # canonical order
        size_fraction=lambda w: refs(w, "size_fraction"),
        early_stopping=lambda w: refs(w, "early_stopping"),
        patience=lambda w: refs(w, "patience"),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("tune_forget"),
    log:
        "logs/{dataset}/{variant}/split{part}/tune_forget.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        mem_mb=res("mem_mb"),
        runtime=res("runtime"),
        gpu=res("gpu"),
    script:
        "../scripts/tune_forget.py"


rule train_forget:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        target=from_model_variant(rules.train_base.output.target),
        shadow=from_model_variant(rules.train_base.output.shadow),
        tuning=forget_tuning_input,
    output:
        forget_target="results/{dataset}/{variant}/split{part}/models/forget_target.pt",
        forget_shadow="results/{dataset}/{variant}/split{part}/models/forget_shadow.pt",
    params:
        recipe=lambda w: dconf.forget_recipe(config, w.dataset, w.variant),
        n_models=lambda w: refs(w, "forget"),
        size_fraction=lambda w: refs(w, "size_fraction"),
        early_stopping=lambda w: refs(w, "early_stopping"),
        patience=lambda w: refs(w, "patience"),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train_forget"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_forget.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        mem_mb=res("mem_mb"),
        runtime=res("runtime"),
        gpu=res("gpu"),
    script:
        "../scripts/train_forget.py"
