# The paper's ablations (section 4.3): Figures 3-6 and their report. These rules
# read what the attack, score and training rules wrote and never train or score a
# model, so a new ratio or a different K reruns only them.

ABL = f"results/ablations/{config['name']}"


def abl(family):
    """dataset -> variants of an ablation family (``ratio``/``references``: their
    ``datasets``)."""
    node = config["ablations"].get(family, {})
    return node.get("datasets", {}) if family in ("ratio", "references") else node


def per_variant(rule_output, dataset, variants, model_variant=False):
    """variant -> ``rule_output`` of every part of the variant (of its
    ``targets_from`` variant with ``model_variant``)."""
    out = {}
    for v in variants:
        fv = dconf.model_variant(config, dataset, v) if model_variant else v
        out[v] = [
            rule_output.format(dataset=dataset, variant=fv, part=p)
            for p in dconf.parts(config, dataset)
        ]
    return out


def flat(mapping):
    return [p for paths in mapping.values() for p in paths]


def fig_title(w):
    return config["datasets"][w.dataset].get("label", w.dataset)


def ablation_outputs():
    out = ablation_figures()
    if out:
        out += list(rules.ablations_doc.output)
    return out


def ablation_outputs_png():
    return [p for p in ablation_figures() if p.endswith(".png")]


def ablation_figures():
    out = []
    for ds in abl("train_size"):
        out += expand(rules.fig_train_size.output, dataset=ds)
    for ds, variants in abl("ratio").items():
        out += expand(rules.fig_ratio.output, dataset=ds, variant=variants)
    for ds in abl("references"):
        out += expand(rules.fig_references.output, dataset=ds)
    for ds in abl("dp"):
        out += expand(rules.fig_dp.output, dataset=ds)
    return out


def ablation_csvs(rule, family, key="csv", variant_wise=False):
    """dataset (or dataset/variant) -> the CSV of a figure rule."""
    out = {}
    for ds, variants in abl(family).items():
        if variant_wise:
            for v in variants:
                out[f"{ds}/{v}"] = getattr(rule.output, key).format(dataset=ds, variant=v)
        else:
            out[ds] = getattr(rule.output, key).format(dataset=ds)
    return out


rule fig_train_size:
    input:
        lambda w: flat(per_variant(rules.attack.output.metrics, w.dataset, abl("train_size")[w.dataset])),
    output:
        png=report(
            ABL + "/{dataset}/fig3_train_size.png",
            caption="../report/fig3.rst",
            category="Figure 3",
            labels={"dataset": "{dataset}", "format": "png"},
        ),
        pdf=ABL + "/{dataset}/fig3_train_size.pdf",
        csv=report(
            ABL + "/{dataset}/fig3_train_size.csv",
            caption="../report/fig3.rst",
            category="Figure 3",
            labels={"dataset": "{dataset}", "format": "csv"},
        ),
    params:
        metrics_files=lambda w: per_variant(
            rules.attack.output.metrics, w.dataset, abl("train_size")[w.dataset]
        ),
        title=fig_title,
        code=code("ablations"),
    log:
        "logs/ablations/" + config["name"] + "/{dataset}/fig3.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/fig_train_size.py"


rule fig_ratio:
    input:
        lambda w: per_variant(rules.attack.output.attack_scores, w.dataset, [w.variant])[w.variant],
    output:
        png=report(
            ABL + "/{dataset}/{variant}/fig4_ratio.png",
            caption="../report/fig4.rst",
            category="Figure 4",
            labels={"dataset": "{dataset}", "variant": "{variant}", "format": "png"},
        ),
        pdf=ABL + "/{dataset}/{variant}/fig4_ratio.pdf",
        csv=report(
            ABL + "/{dataset}/{variant}/fig4_ratio.csv",
            caption="../report/fig4.rst",
            category="Figure 4",
            labels={"dataset": "{dataset}", "variant": "{variant}", "format": "csv"},
        ),
        curves=ABL + "/{dataset}/{variant}/fig4_pr_curves.csv",
    params:
        ratios=config["ablations"].get("ratio", {}).get("ratios", []),
        recall_levels=config["attack"]["recall_levels"],
        root_seed=config["root_seed"],
        seed_key=seed_key,
        title=lambda w: dconf.label(config, w.dataset, w.variant),
        code=code("ablations"),
    log:
        "logs/ablations/" + config["name"] + "/{dataset}/{variant}/fig4.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/fig_ratio.py"


rule fig_references:
    input:
        scores=lambda w: flat(per_variant(rules.score.output.scores, w.dataset, abl("references")[w.dataset])),
        splits=lambda w: flat(
            per_variant(rules.split.output.split, w.dataset, abl("references")[w.dataset], True)
        ),
    output:
        png=report(
            ABL + "/{dataset}/fig5_references.png",
            caption="../report/fig5.rst",
            category="Figure 5",
            labels={"dataset": "{dataset}", "format": "png"},
        ),
        pdf=ABL + "/{dataset}/fig5_references.pdf",
        csv=report(
            ABL + "/{dataset}/fig5_references.csv",
            caption="../report/fig5.rst",
            category="Figure 5",
            labels={"dataset": "{dataset}", "format": "csv"},
        ),
    params:
        scores=lambda w: per_variant(rules.score.output.scores, w.dataset, abl("references")[w.dataset]),
        splits=lambda w: per_variant(
            rules.split.output.split, w.dataset, abl("references")[w.dataset], True
        ),
        size_fractions=lambda w: {
            v: dconf.references(config, w.dataset, v)["size_fraction"]
            for v in abl("references")[w.dataset]
        },
        max_k=config["ablations"].get("references", {}).get("max_k", 10),
        title=fig_title,
        code=code("ablations"),
    log:
        "logs/ablations/" + config["name"] + "/{dataset}/fig5.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../scripts/fig_references.py"


rule fig_dp:
    input:
        attack_scores=lambda w: flat(per_variant(rules.attack.output.attack_scores, w.dataset, abl("dp")[w.dataset])),
        metrics=lambda w: flat(per_variant(rules.attack.output.metrics, w.dataset, abl("dp")[w.dataset])),
        targets=lambda w: flat(
            per_variant(rules.train_base.output.target, w.dataset, abl("dp")[w.dataset], True)
        ),
    output:
        png=report(
            ABL + "/{dataset}/fig6_dp.png",
            caption="../report/fig6.rst",
            category="Figure 6",
            labels={"dataset": "{dataset}", "format": "png"},
        ),
        pdf=ABL + "/{dataset}/fig6_dp.pdf",
        csv=report(
            ABL + "/{dataset}/fig6_dp.csv",
            caption="../report/fig6.rst",
            category="Figure 6",
            labels={"dataset": "{dataset}", "format": "csv"},
        ),
        curves=ABL + "/{dataset}/fig6_curves.csv",
    params:
        attack_scores=lambda w: per_variant(rules.attack.output.attack_scores, w.dataset, abl("dp")[w.dataset]),
        metrics=lambda w: per_variant(rules.attack.output.metrics, w.dataset, abl("dp")[w.dataset]),
        targets=lambda w: per_variant(
            rules.train_base.output.target, w.dataset, abl("dp")[w.dataset], True
        ),
        fpr_levels=config["attack"]["fpr_levels"],
        title=fig_title,
        code=code("ablations"),
    log:
        "logs/ablations/" + config["name"] + "/{dataset}/fig6.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=4000,
        runtime=10,
    script:
        "../scripts/fig_dp.py"


rule ablations_doc:
    input:
        fig3=ablation_csvs(rules.fig_train_size, "train_size").values(),
        fig4=ablation_csvs(rules.fig_ratio, "ratio", variant_wise=True).values(),
        fig5=ablation_csvs(rules.fig_references, "references").values(),
        fig6=ablation_csvs(rules.fig_dp, "dp").values(),
    output:
        md=report(
            ABL + "/ablations.md",
            caption="../report/ablations.rst",
            category="Ablations",
            labels={"table": "claims", "format": "md"},
        ),
    params:
        name=config["name"],
        fig3=ablation_csvs(rules.fig_train_size, "train_size"),
        fig4=ablation_csvs(rules.fig_ratio, "ratio", variant_wise=True),
        fig5=ablation_csvs(rules.fig_references, "references"),
        fig6=ablation_csvs(rules.fig_dp, "dp"),
        figures=[p for p in ablation_outputs_png()],
        code=code("ablations"),
    log:
        "logs/ablations/" + config["name"] + "/ablations_doc.log",
    conda:
        "../../envs/diffcal.yaml"
    localrule: True
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/ablations_doc.py"
