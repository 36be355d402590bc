# Target and shadow target, scratch references, forgetting references.
# One job trains all models of a kind for every split of a part (`splits_per_job`);
# scratch and forgetting references come in chunks of `models_per_job` (file and
# job per chunk: scratch<first>-<last>.pt, the whole set by default).
# Shared pieces (common.smk): `P.seeds` (the split key every seed derives from),
# `P.refs_cfg` (the variant's `references` section), TRAIN_RESOURCES.
# A DP variant attacked with non-private references trains none of them: its
# shadow and shadow forgetting references are copies of its undefended twin's
# (`T.shared_model`), its scratch references and tuning are the twin's files
# (`T.from_reference_variant`, in the rules that read them).
SHADOW = "results/{dataset}/{variant}/split{part}/models/shadow.pt"
FORGET_SHADOW = "results/{dataset}/{variant}/split{part}/models/forget_shadow{chunk}.pt"


rule train_base:
    input:
        data=rules.prepare.output.data,
        split=rules.split.output.split,
        # a given target (datasets with `target`): loaded, not trained, after its check
        checkpoint=lambda w: P.given_target(w, "checkpoint"),
        target_check=lambda w: P.given_target_check(w, rules.check_target.output.out),
        # a DP variant's shadow when its undefended twin trains the same one: copied
        shared_shadow=T.shared_model(SHADOW),
    output:
        target="results/{dataset}/{variant}/split{part}/models/target.pt",
        shadow=SHADOW,
    log:
        "logs/{dataset}/{variant}/split{part}/train_base.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        model_cfg=lambda w: P.ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        dp=lambda w: dview.dp(config, w.dataset, w.variant),
        seeds=P.seeds,
        code=D.train_code("train_base"),
    script:
        "../scripts/train_base.py"


rule train_scratch:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
    output:
        out="results/{dataset}/{variant}/split{part}/models/scratch{chunk}.pt",
    log:
        "logs/{dataset}/{variant}/split{part}/train_scratch{chunk}.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        model_cfg=lambda w: P.ds_cfg(w, "model"),
        recipe=lambda w: dview.recipe(config, w.dataset, w.variant),
        refs=P.refs_cfg,
        chunk=lambda w: w.chunk,
        dp=lambda w: dview.dp(config, w.dataset, w.variant),
        seeds=P.seeds,
        code=D.train_code("train_scratch"),
    script:
        "../scripts/train_scratch.py"


rule tune_forget:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
        shadow=T.from_model_variant(rules.train_base.output.shadow),
    output:
        out_json="results/{dataset}/{variant}/split{part}/forget_tuning.json",
        out_csv="results/{dataset}/{variant}/split{part}/forget_tuning.csv",
    log:
        "logs/{dataset}/{variant}/split{part}/tune_forget.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        recipe=lambda w: dview.forget_recipe(config, w.dataset, w.variant),
        grid=lambda w: P.ds_cfg(w, "forget_tuning"),
        refs=P.refs_cfg,
        seeds=P.seeds,
        code=D.code("tune_forget"),
    script:
        "../scripts/tune_forget.py"


rule train_forget:
    input:
        data=rules.prepare.output.data,
        split=T.from_model_variant(rules.split.output.split),
        target=T.from_model_variant(rules.train_base.output.target),
        shadow=T.from_model_variant(rules.train_base.output.shadow),
        tuning=P.forget_tuning_input(rules),
        shared_forget_shadow=T.shared_model(FORGET_SHADOW),
    output:
        forget_target="results/{dataset}/{variant}/split{part}/models/forget_target{chunk}.pt",
        forget_shadow=FORGET_SHADOW,
    log:
        "logs/{dataset}/{variant}/split{part}/train_forget{chunk}.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        recipe=lambda w: dview.forget_recipe(config, w.dataset, w.variant),
        refs=P.refs_cfg,
        chunk=lambda w: w.chunk,
        seeds=P.seeds,
        code=D.code("train_forget"),
    script:
        "../scripts/train_forget.py"
