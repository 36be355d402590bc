# Language-model audits (`language_models`): documents -> base, target and reference
# models -> per-token scores -> attacks and report, under results/lm/<name>/.
LMV = dview_lm


rule lm_prepare:
    output:
        documents="results/lm/{lm}/documents.parquet",
    log:
        "logs/lm/{lm}/lm_prepare.log",
    conda:
        "../../envs/diffcal.yaml"
    params:
        corpus=lambda w: LMV.corpus(config, w.lm),
        documents=lambda w: LMV.lm_cfg(config, w.lm).get("documents"),
        root_seed=config["root_seed"],
        name=lambda w: w.lm,
        data_dir=config["data_dir"],
        code=D.code("lm_prepare"),
    script:
        "../scripts/lm_prepare.py"


rule lm_train:
    input:
        documents=rules.lm_prepare.output.documents,
        init=lambda w: LMV.init_file(w.lm, w.model),
    output:
        model="results/lm/{lm}/models/{model}.pt",
    log:
        "logs/lm/{lm}/lm_train_{model}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: lambda w: LMV.lm_cfg(config, w.lm)["threads"]
    params:
        torch_threads=lambda w: LMV.lm_cfg(config, w.lm)["threads"],
        role=lambda w: LMV.training(w.model)[1],
        model_cfg=lambda w: LMV.model_cfg(config, w.lm),
        recipe=lambda w: LMV.recipe(config, w.lm, w.model),
        seed=lambda w: LMV.seed(config, w.lm, w.model),
        code=D.code("lm_train"),
    script:
        "../scripts/lm_train.py"


rule lm_score:
    input:
        documents=rules.lm_prepare.output.documents,
        model=rules.lm_train.output.model,
    output:
        tokens="results/lm/{lm}/tokens/{model}.parquet",
    log:
        "logs/lm/{lm}/lm_score_{model}.log",
    conda:
        "../../envs/diffcal.yaml"
    threads: lambda w: LMV.lm_cfg(config, w.lm)["threads"]
    params:
        torch_threads=lambda w: LMV.lm_cfg(config, w.lm)["threads"],
        code=D.code("lm_score"),
    script:
        "../scripts/lm_score.py"


rule lm_attack:
    input:
        documents=rules.lm_prepare.output.documents,
        target="results/lm/{lm}/tokens/target.parquet",
        references=expand("results/lm/{{lm}}/tokens/{model}.parquet", model=LMV.REFERENCES),
        lira=lambda w: LMV.lira_files(config, w.lm),
    output:
        scores="results/lm/{lm}/document_scores.parquet",
        metrics="results/lm/{lm}/metrics.csv",
        gains="results/lm/{lm}/gains.csv",
        report="results/lm/{lm}/report.md",
    log:
        "logs/lm/{lm}/lm_attack.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        ks=lambda w: LMV.lm_cfg(config, w.lm)["ks"],
        fpr_levels=config["attack"]["fpr_levels"],
        n_boot=lambda w: LMV.lm_cfg(config, w.lm)["n_boot"],
        seed=LMV.attack_seed(config),
        label=lambda w: LMV.lm_cfg(config, w.lm).get("label", w.lm),
        lira_names=lambda w: LMV.lira_names(config, w.lm),
        model_cfg=lambda w: LMV.model_cfg(config, w.lm),
        code=D.attack_code("lm_attack"),
    script:
        "../scripts/lm_attack.py"


rule lm_audit_scores:
    input:
        documents=lambda w: LMV.audit_cfg(config, w.lm_audit)["documents"],
        target=lambda w: LMV.audit_cfg(config, w.lm_audit)["target"],
        references=lambda w: list(LMV.audit_cfg(config, w.lm_audit)["references"].values()),
        lira=lambda w: list(LMV.audit_cfg(config, w.lm_audit).get("lira_references", {}).values()),
    output:
        scores="results/lm/{lm_audit}/document_scores.parquet",
        metrics="results/lm/{lm_audit}/metrics.csv",
        gains="results/lm/{lm_audit}/gains.csv",
        report="results/lm/{lm_audit}/report.md",
    log:
        "logs/lm/{lm_audit}/lm_audit_scores.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        names=lambda w: list(LMV.audit_cfg(config, w.lm_audit)["references"]),
        ks=lambda w: LMV.audit_cfg(config, w.lm_audit)["ks"],
        fpr_levels=config["attack"]["fpr_levels"],
        n_boot=lambda w: LMV.audit_cfg(config, w.lm_audit)["n_boot"],
        seed=LMV.attack_seed(config),
        label=lambda w: LMV.audit_cfg(config, w.lm_audit).get("label", w.lm_audit),
        lira_names=lambda w: list(LMV.audit_cfg(config, w.lm_audit).get("lira_references", {})),
        code=D.attack_code("lm_audit_scores"),
    script:
        "../scripts/lm_audit_scores.py"
