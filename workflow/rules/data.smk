# Raw data -> prepared arrays -> the splits (member/non-member/public roles) of a part.
# `data_dir` is read by the script from the config but is not a param: where the raw
# files live does not change them (their checksums are verified), so moving the data
# directory must not rerun the workflow.


rule prepare:
    input:
        # the user's own files (sources table, arrays): replacing one reruns the dataset
        user_files=P.user_files,
    output:
        data="results/{dataset}/data.npz",
    log:
        "logs/{dataset}/prepare.log",
    priority: longest_first
    # Local: on a cluster, downloads need the login node's network.
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        source=lambda w: P.ds_cfg(w, "source"),
        source_kwargs=lambda w: P.ds_cfg(w, "source_kwargs"),
        code=D.source_code,
    script:
        "../scripts/prepare.py"


# A given target (`target: {checkpoint}`) that does not fit its own members stops the
# run here, before any split, training or attack job (the encoding contract).
rule check_target:
    input:
        data=rules.prepare.output.data,
        checkpoint=lambda w: P.given_target(w, "checkpoint"),
        members=lambda w: P.given_target(w, "members"),
    output:
        out="results/{dataset}/target_check.json",
    log:
        "logs/{dataset}/check_target.log",
    priority: longest_first
    conda:
        "../../envs/diffcal.yaml"
    threads: P.res("threads")
    resources:
        **TRAIN_RESOURCES,
    params:
        model_cfg=lambda w: P.ds_cfg(w, "model"),
        target_key=lambda w: f"datasets.{w.dataset}.target",
        allow_weak=lambda w: P.given_target_option(w, "allow_weak", False),
        code=D.train_code("check_target"),
    script:
        "../scripts/check_target.py"


rule split:
    input:
        data=rules.prepare.output.data,
        # ordering only (ancient: a new check does not redraw the splits)
        target_check=lambda w: [
            ancient(p) for p in P.given_target_check(w, rules.check_target.output.out)
        ],
        # the given target's members (datasets with `target`): a new list redraws the split
        members=lambda w: P.given_target(w, "members"),
    output:
        split="results/{dataset}/{variant}/split{part}/split.parquet",
    log:
        "logs/{dataset}/{variant}/split{part}/split.log",
    priority: longest_first
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        cfg=lambda w: dview.canonical(dview.split_config(config, w.dataset, w.variant)),
        root_seed=config["root_seed"],
        dataset=P.seed_key,  # the name the split's seeds derive from
        # a given target whose members are a column of the table (member_column)
        members_in_data=lambda w: bool(config["datasets"][w.dataset].get("target"))
        and not P.given_target(w, "members"),
        code=D.code("split"),
    script:
        "../scripts/split.py"
