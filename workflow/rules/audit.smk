# Audits: the report of a dataset of your own (results/audit/<dataset>/), and audits
# of scores computed elsewhere (`audits`: no training, no torch).

rule audit_scores:
    input:
        target=audit_scores_file("target"),
        references=audit_scores_file("references"),
        members=audit_scores_file("members"),
    output:
        scores="results/audit/{audit}/scores.parquet",
        attack_scores="results/audit/{audit}/attack_scores.parquet",
    params:
        extra=config["attack"]["extra"],
        code=attack_code("audit_scores"),
    log:
        "logs/audit/{audit}/audit_scores.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    script:
        "../scripts/audit_scores.py"


rule audit_report:
    input:
        attack_scores=audit_parts("attack_scores"),
        scores=audit_parts("scores"),
        # a dataset's data.npz: the user's sample ids, if its source has them
        data=audit_data,
    output:
        md="results/audit/{audit}/report.md",
        html="results/audit/{audit}/report.html",
        png="results/audit/{audit}/roc.png",
        pdf="results/audit/{audit}/roc.pdf",
        metrics="results/audit/{audit}/metrics.csv",
        risk="results/audit/{audit}/risk.parquet",
    params:
        title=audit_title,
        what=audit_what,
        fpr_levels=config["attack"]["fpr_levels"],
        root_seed=config["root_seed"],
        code=code("audit_report"),
    log:
        "logs/audit/{audit}/audit_report.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    script:
        "../scripts/audit_report.py"
