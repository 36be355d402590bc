# Audits: the report of a dataset of your own (results/audit/<dataset>/), and audits
# of scores computed elsewhere (`audits`: no training, no torch).


rule audit_scores:
    input:
        target=P.audit_scores_file("target"),
        references=P.audit_scores_file("references"),
        members=P.audit_scores_file("members"),
    output:
        scores="results/audit/{audit}/scores.parquet",
        attack_scores="results/audit/{audit}/attack_scores.parquet",
    log:
        "logs/audit/{audit}/audit_scores.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        extra=config["attack"]["extra"],
        code=D.attack_code("audit_scores"),
    script:
        "../scripts/audit_scores.py"


rule audit_report:
    input:
        attack_scores=lambda w: T.audit_parts(rules, w.audit, "attack_scores"),
        scores=lambda w: T.audit_parts(rules, w.audit, "scores"),
        # a dataset's data.npz: the user's sample ids, if its source has them
        data=P.audit_data(rules),
    output:
        md="results/audit/{audit}/report.md",
        html="results/audit/{audit}/report.html",
        png="results/audit/{audit}/roc.png",
        pdf="results/audit/{audit}/roc.pdf",
        metrics="results/audit/{audit}/metrics.csv",
        risk="results/audit/{audit}/risk.parquet",
    log:
        "logs/audit/{audit}/audit_report.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        title=lambda w: T.audit_title(w.audit),
        what=lambda w: T.audit_what(w.audit),
        fpr_levels=config["attack"]["fpr_levels"],
        root_seed=config["root_seed"],
        bound=config["privacy_bound"],
        code=D.code("audit_report"),
    script:
        "../scripts/audit_report.py"
