# Target and shadow target, scratch references, forgetting references.
# One job trains all K references of a kind for one split.


rule train_base:
    input:
        data=rules.prepare.output.data,
        split=rules.split.output.split,
    output:
        model="results/{dataset}/{variant}/split{split}/models/{role}.pt",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dconf.recipe(config, w.dataset, w.variant),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train"),
    log:
        "logs/{dataset}/{variant}/split{split}/train_{role}.log",
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
        split=rules.split.output.split,
    output:
        models="results/{dataset}/{variant}/split{split}/models/scratch.pt",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dconf.recipe(config, w.dataset, w.variant),
        n_models=lambda w: ds_cfg(w, "references", "scratch"),
        size_fraction=lambda w: ds_cfg(w, "references", "size_fraction"),
        early_stopping=lambda w: ds_cfg(w, "references", "early_stopping"),
        patience=lambda w: ds_cfg(w, "references", "patience"),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train"),
    log:
        "logs/{dataset}/{variant}/split{split}/train_scratch.log",
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
        split=rules.split.output.split,
        shadow=with_role(rules.train_base.output.model, "shadow"),
    output:
        chosen="results/{dataset}/{variant}/split{split}/forget_tuning.json",
        table="results/{dataset}/{variant}/split{split}/forget_tuning.csv",
    params:
        recipe=lambda w: dconf.forget_recipe(config, w.dataset, w.variant),
        grid=lambda w: dict(sorted(ds_cfg(w, "forget_tuning").items())),  # canonical order
        size_fraction=lambda w: ds_cfg(w, "references", "size_fraction"),
        early_stopping=lambda w: ds_cfg(w, "references", "early_stopping"),
        patience=lambda w: ds_cfg(w, "references", "patience"),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train"),
    log:
        "logs/{dataset}/{variant}/split{split}/tune_forget.log",
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
        split=rules.split.output.split,
        base=rules.train_base.output.model,
        tuning=forget_tuning_input,
    output:
        models="results/{dataset}/{variant}/split{split}/models/forget_{role}.pt",
    params:
        recipe=lambda w: dconf.forget_recipe(config, w.dataset, w.variant),
        n_models=lambda w: ds_cfg(w, "references", "forget"),
        size_fraction=lambda w: ds_cfg(w, "references", "size_fraction"),
        early_stopping=lambda w: ds_cfg(w, "references", "early_stopping"),
        patience=lambda w: ds_cfg(w, "references", "patience"),
        root_seed=config["root_seed"],
        seed_key=seed_key,
        code=code("train"),
    log:
        "logs/{dataset}/{variant}/split{split}/train_forget_{role}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    resources:
        mem_mb=res("mem_mb"),
        runtime=res("runtime"),
        gpu=res("gpu"),
    script:
        "../scripts/train_forget.py"
