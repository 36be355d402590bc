# Raw data -> prepared arrays -> the splits (member/non-member/public roles) of a part.
# `data_dir` is read by the script from the config but is not a param: where the raw
# files live does not change them (their checksums are verified), so moving the data
# directory must not rerun the workflow.


rule prepare:
    input:
        # the user's own files (sources table, arrays): replacing one reruns the dataset
        user_files=user_files,
    output:
        data="results/{dataset}/data.npz",
    params:
        source=lambda w: ds_cfg(w, "source"),
        source_kwargs=lambda w: ds_cfg(w, "source_kwargs"),
        code=lambda w: source_code(ds_cfg(w, "source")),
    log:
        "logs/{dataset}/prepare.log",
    conda:
        "../../envs/diffcal.yaml"
    # Local: on a cluster, downloads need the login node's network.
    localrule: True
    priority: longest_first
    script:
        "../scripts/prepare.py"


rule split:
    input:
        data=rules.prepare.output.data,
        # the given target's members (datasets with `target`): a new list redraws the split
        members=lambda w: given_target(w, "members"),
    output:
        split="results/{dataset}/{variant}/split{part}/split.parquet",
    params:
        cfg=lambda w: dview.canonical(dview.split_config(config, w.dataset, w.variant)),
        root_seed=config["root_seed"],
        dataset=seed_key,  # the name the split's seeds derive from
        # a given target whose members are a column of the table (member_column)
        members_in_data=lambda w: bool(config["datasets"][w.dataset].get("target"))
        and not given_target(w, "members"),
        code=code("split"),
    log:
        "logs/{dataset}/{variant}/split{part}/split.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    priority: longest_first
    script:
        "../scripts/split.py"
