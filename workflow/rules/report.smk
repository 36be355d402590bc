# The paper's Tables 1-3 and Figures 1-2, wrapped for `snakemake --report`.


rule tables:
    input:
        metrics=[r["metrics"] for r in T.table_runs(rules)],
        scores=[r["scores"] for r in T.table_runs(rules)],
        bootstrap=[r["bootstrap"] for r in T.table_runs(rules)],
        splits=[r["split_file"] for r in T.table_runs(rules)],
    output:
        **{
            f"{name}_{ext}": report(
                f"results/tables/{config['name']}/{name}.{ext}",
                caption=f"../report/{name}.rst",
                category="Tables",
                labels={"table": TABLES[name], "format": ext},
            )
            for name in TABLES
            for ext in ("md", "csv", "tex")
        },
        summary=report(
            f"results/tables/{config['name']}/metrics_summary.csv",
            caption="../report/metrics_summary.rst",
            category="Tables",
            labels={"table": "All metrics", "format": "csv"},
        ),
        comparison_md=report(
            f"results/tables/{config['name']}/comparison_with_paper.md",
            caption="../report/comparison.rst",
            category="Tables",
            labels={"table": "Ours vs paper", "format": "md"},
        ),
        comparison_csv=f"results/tables/{config['name']}/comparison_with_paper.csv",
        counts_md=f"results/tables/{config['name']}/comparison_counts.md",
        counts_csv=f"results/tables/{config['name']}/comparison_counts.csv",
        claims_md=report(
            f"results/tables/{config['name']}/claims.md",
            caption="../report/claims.rst",
            category="Tables",
            labels={"table": "Paper's claims", "format": "md"},
        ),
        claims_csv=f"results/tables/{config['name']}/claims.csv",
    log:
        f"logs/tables/{config['name']}.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        runs=T.table_runs(rules),
        attacks=dview.attack_columns(config),
        code=D.code("tables"),
    script:
        "../scripts/tables.py"


rule figures:
    input:
        attack_scores=lambda w: T.part_file(
            rules.attack.output.attack_scores, w, config["report"]["figure_split"]
        ),
        metrics=lambda w: T.part_file(
            rules.attack.output.metrics, w, config["report"]["figure_split"]
        ),
    output:
        fig1_png=report(
            "results/figures/{dataset}/{variant}/fig1_score_histograms.png",
            caption="../report/fig1.rst",
            category="Figure 1",
            labels={"dataset": "{dataset}", "variant": "{variant}"},
        ),
        fig1_pdf="results/figures/{dataset}/{variant}/fig1_score_histograms.pdf",
        fig2_png=report(
            "results/figures/{dataset}/{variant}/fig2_roc_pr.png",
            caption="../report/fig2.rst",
            category="Figure 2",
            labels={"dataset": "{dataset}", "variant": "{variant}"},
        ),
        fig2_pdf="results/figures/{dataset}/{variant}/fig2_roc_pr.pdf",
    log:
        "logs/{dataset}/{variant}/figures.log",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        title=lambda w: dview.label(config, w.dataset, w.variant),
        score=config["report"]["figure_score"],
        split=config["report"]["figure_split"],
        code=D.code("figures"),
    script:
        "../scripts/figures.py"


# Which code, config, libraries and machine made an output folder
# (diffcal.reporting.provenance); reruns when the commit or the config changes.
rule provenance:
    output:
        out="{folder}/provenance.json",
    log:
        "logs/provenance/{folder}.log",
    wildcard_constraints:
        folder=r"results/(tables|audit|ablations|compare|lm)/[^/]+",
    localrule: True
    conda:
        "../../envs/diffcal.yaml"
    params:
        commit=COMMIT,
        config_sha256=CONFIG_SHA256,
        code=D.code("provenance"),
    script:
        "../scripts/provenance.py"
