# Target and shadow target, scratch references, forgetting references.
# One job trains all models of a kind for every split of a part (`splits_per_job`);
# scratch and forgetting references come in chunks of `models_per_job` (file and
# job per chunk: scratch<first>-<last>.pt, the whole set by default).
# Shared pieces (common.smk): `seeds` (the split key every seed derives from),
# `refs_cfg` (the variant's `references` section), TRAIN_RESOURCES.
# A DP variant attacked with non-private references trains none of them: its
# shadow and shadow forgetting references are copies of its undefended twin's
# (`shared_model`), its scratch references and tuning are the twin's files
# (`from_reference_variant`, in the rules that read them).
SHADOW = "results/{dataset}/{variant}/split{part}/models/shadow.pt"
FORGET_SHADOW = "results/{dataset}/{variant}/split{part}/models/forget_shadow{chunk}.pt"


rule train_base:
    input:
        data=rules.prepare.output.data,
        split=rules.split.output.split,
        # a given target (datasets with `target`): loaded, not trained
        checkpoint=lambda w: given_target(w, "checkpoint"),
        # a DP variant's shadow when its undefended twin trains the same one: copied
        shared_shadow=shared_model(SHADOW),
    output:
        target="results/{dataset}/{variant}/split{part}/models/target.pt",
        shadow=SHADOW,
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        dp=lambda w: dview.dp(config, w.dataset, w.variant),
        seeds=seeds,
        code=train_code("train_base"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_base.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    priority: longest_first
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/train_base.py"


rule train_scratch:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
    output:
        out="results/{dataset}/{variant}/split{part}/models/scratch{chunk}.pt",
    params:
        model_cfg=lambda w: ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        refs=refs_cfg,
        chunk=lambda w: w.chunk,
        dp=lambda w: dview.dp(config, w.dataset, w.variant),
        seeds=seeds,
        code=train_code("train_scratch"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_scratch{chunk}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    priority: longest_first
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/train_scratch.py"


rule tune_forget:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        shadow=from_model_variant(rules.train_base.output.shadow),
    output:
        out_json="results/{dataset}/{variant}/split{part}/forget_tuning.json",
        out_csv="results/{dataset}/{variant}/split{part}/forget_tuning.csv",
    params:
        recipe=lambda w: dview.forget_recipe(config, w.dataset, w.variant),
        grid=lambda w: ds_cfg(w, "forget_tuning"),
        refs=refs_cfg,
        seeds=seeds,
        code=code("tune_forget"),
    log:
        "logs/{dataset}/{variant}/split{part}/tune_forget.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    priority: longest_first
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/tune_forget.py"


rule train_forget:
    input:
        data=rules.prepare.output.data,
        split=from_model_variant(rules.split.output.split),
        target=from_model_variant(rules.train_base.output.target),
        shadow=from_model_variant(rules.train_base.output.shadow),
        tuning=forget_tuning_input,
        shared_forget_shadow=shared_model(FORGET_SHADOW),
    output:
        forget_target="results/{dataset}/{variant}/split{part}/models/forget_target{chunk}.pt",
        forget_shadow=FORGET_SHADOW,
    params:
        recipe=lambda w: dview.forget_recipe(config, w.dataset, w.variant),
        refs=refs_cfg,
        chunk=lambda w: w.chunk,
        seeds=seeds,
        code=code("train_forget"),
    log:
        "logs/{dataset}/{variant}/split{part}/train_forget{chunk}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: res("threads")
    priority: longest_first
    resources:
        **TRAIN_RESOURCES,
    script:
        "../scripts/train_forget.py"
