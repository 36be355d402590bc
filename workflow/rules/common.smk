# Config validation, wildcard constraints and small helpers. No rules here.
import re
import sys
from pathlib import Path

from diffcal.config import checks as dcheck
from diffcal.config import load as dconf
from diffcal.config import views as dview
from diffcal.attacks.plugins import plugin_names, plugins_digest
from diffcal.config.codedeps import code_digest, import_jobs_from


# The checkout this file belongs to (not the working directory's workflow when this
# workflow is used as a Snakemake module of another).
REPO = Path(str(workflow.current_basedir)).resolve().parents[1]

# Only what came from --config: --configfile values keep the types their file gave them.
dconf.parse_nested_overrides(config, workflow.config_settings.config or {})
# Schema (one-line errors), defaults, registry and cross-field checks: the same path
# as the command-line tools (diffcal.config.load.load_config).
dconf.prepare_config(config, REPO / "workflow/schemas/config.schema.yaml")
for warning in dcheck.config_warnings(config):
    print(f"WARNING: {warning}", file=sys.stderr)

DATASETS = list(config["datasets"])
PLUGINS = plugin_names(config["attack"]["extra"])
VARIANTS = sorted({v for ds in config["datasets"].values() for v in ds["variants"]})
SRC = REPO / "src"
# Jobs import the library from this checkout (the code the digests cover), also
# when the workflow runs as a module of another one or in a conda environment.
import_jobs_from(SRC)


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    variant="|".join(map(re.escape, VARIANTS)),
    part=r"\d+(-\d+)?",
    chunk=r"\d+(-\d+)?",


def code(stage):
    """Digest of the library code a stage runs: edits there rerun the rule."""
    return code_digest(f"diffcal.stages.{stage}", SRC)


def attack_code(stage):
    """code(stage) plus the attack plugins' files (`attack.extra`): editing one
    reruns the attacks and what follows, no training."""
    return code(stage) + plugins_digest(config["attack"]["extra"])


def train_code(stage):
    """Digest of a training stage's code, plus the dataset's own model file
    (arch: python): editing that file retrains the datasets that use it, only those."""
    from diffcal.training.factory import factory_digest

    base = code(stage)

    def digest(w):
        ref = config["datasets"][w.dataset]["model"].get("factory")
        return base + (factory_digest(ref) if ref else "")

    return digest


def source_code(source):
    """Digest of the prepare stage and of the one loader module of ``source``:
    editing another dataset's loader does not rerun this dataset."""
    from diffcal.data.registry import source_module

    return code("prepare") + code_digest(source_module(source), SRC)


def given_target(w, key):
    """The dataset's `target` file ``key`` (checkpoint, members), or none when the
    pipeline trains the target."""
    target = config["datasets"][w.dataset].get("target") or {}
    return [target[key]] if target.get(key) else []


def user_files(w):
    """The files of the user's that the dataset's source reads (none for built-ins)."""
    from diffcal.data.registry import source_files

    ds = config["datasets"][w.dataset]
    return source_files(ds["source"], ds.get("source_kwargs", {}))


def ds_cfg(w, *keys):
    """A subsection of the dataset's config (only what a rule needs, as params), its
    keys sorted: Snakemake compares params by their text, so the same settings
    written in another order must not rerun a job."""
    node = config["datasets"][w.dataset]
    for k in keys:
        node = node[k]
    return dview.canonical(node)


def seed_key(w):
    """Name that seeds derive from: the dataset's `seed_key`, else its name."""
    return config["datasets"][w.dataset].get("seed_key", w.dataset)


def res(key):
    """Per-dataset resource, as a callable for `resources:` / `threads:`."""
    return lambda w: config["datasets"][w.dataset]["resources"][key]


# Job priority: the dataset's declared job runtime (minutes), so that when cores
# are short the jobs of the datasets declared longest start first and the short
# ones fill in (longest-processing-time-first). Without it, the tabular paper rows
# on 2 cores started Adult's training 11 s late, behind Credit's. Also on `prepare`
# and `split`, a dataset's first jobs: without it, config/ablations.yaml's MNIST
# K = 10 chain (the longest) waited for its split behind Adult's training until 435 s.
longest_first = res("runtime")


def refs(w, key):
    """The variant's ``references`` setting ``key`` (dataset's, with overrides)."""
    return dview.references(config, w.dataset, w.variant)[key]


def seeds(w):
    """The split key every seed of a model derives from: the root seed and the
    dataset's seed key (see diffcal.core.seeds)."""
    return {"root_seed": config["root_seed"], "key": seed_key(w)}


def refs_cfg(w):
    """The variant's whole ``references`` section (one param, keys sorted)."""
    return dview.canonical(dview.references(config, w.dataset, w.variant))


def label_only_cfg(w):
    """The variant's label-only points and query budget (one param, keys sorted;
    ``enabled`` left out: it decides whether the job exists, not what it does)."""
    lo = dview.label_only(config, w.dataset, w.variant)
    return dview.canonical({k: v for k, v in lo.items() if k != "enabled"})


def label_only_threads(w):
    """At least two: the label-only job attacks its models side by side, one torch
    thread each (Snakemake lowers it to --cores)."""
    return max(2, config["datasets"][w.dataset]["resources"]["threads"])


def label_only_input(w):
    """The part's label_only.parquet when the variant runs the label-only attack."""
    if not dview.label_only(config, w.dataset, w.variant)["enabled"]:
        return []
    return rules.label_only.output.out


#: Resources of every training and scoring job: the dataset's `resources` section.
TRAIN_RESOURCES = dict(mem_mb=res("mem_mb"), runtime=res("runtime"), gpu=res("gpu"))


def from_model_variant(rule_output):
    """Input function: ``rule_output`` of the variant whose split, target and shadow
    this variant uses (itself, or its ``targets_from``)."""

    def f(w):
        mv = dview.model_variant(config, w.dataset, w.variant)
        return rule_output.format(dataset=w.dataset, variant=mv, part=w.part)

    return f


#: (dataset, variant) -> the variant whose shadow and reference models it uses
#: (itself, or the undefended twin of a DP variant with non-private references:
#: ``dview.reference_variant``), worked out once rather than in every input function.
REFERENCE_VARIANT = {
    (d, v): dview.reference_variant(config, d, v)
    for d, ds in config["datasets"].items()
    for v in ds["variants"]
}


def from_reference_variant(rule_output):
    """Input function: ``rule_output`` of the variant in ``REFERENCE_VARIANT`` (the
    job's other wildcards, e.g. its chunk, kept)."""

    def f(w):
        rv = REFERENCE_VARIANT[w.dataset, w.variant]
        return rule_output.format(**{**dict(w.items()), "variant": rv})

    return f


def reference_chunks(kind, reference_variant=False):
    """Input function: the chunk files (`models_per_job`) of the part's ``kind``
    references (``scratch``, ``forget_target``, ``forget_shadow``), of the job's
    variant or of its ``REFERENCE_VARIANT``."""
    pattern = {
        "scratch": rules.train_scratch.output.out,
        "forget_target": rules.train_forget.output.forget_target,
        "forget_shadow": rules.train_forget.output.forget_shadow,
    }[kind]
    count = "scratch" if kind == "scratch" else "forget"

    def f(w):
        v = REFERENCE_VARIANT[w.dataset, w.variant] if reference_variant else w.variant
        return chunk_files(pattern, w, v, dview.references(config, w.dataset, v)[count])

    return f


def chunk_files(pattern, w, variant, n_models):
    """``pattern`` (a chunked model file) of part ``w.part`` of ``variant``, for each
    chunk of ``n_models`` models (`models_per_job`)."""
    return [
        pattern.format(dataset=w.dataset, variant=variant, part=w.part, chunk=c)
        for c in dview.model_chunks(config, w.dataset, n_models)
    ]


def shared_model(pattern):
    """Input function: the reference variant's file ``pattern`` (an output pattern)
    when that is another variant - the job copies it instead of training - else none."""

    def f(w):
        if REFERENCE_VARIANT[w.dataset, w.variant] == w.variant:
            return []
        return from_reference_variant(pattern)(w)

    return f


def forget_tuning_input(w):
    """The tuning result of the split when the dataset has a forget_tuning grid (the
    reference variant's: the tuning fine-tunes the shadow)."""
    if not ds_cfg(w, "forget_tuning"):
        return []
    return from_reference_variant(rules.tune_forget.output.out_json)(w)


def all_outputs():
    if config["compare"]["only"]:
        return compare_outputs()
    out = list(rules.tables.output) if DATASETS else []
    for dataset, ds in config["datasets"].items():
        for variant in ds["variants"]:
            out += expand(rules.figures.output, dataset=dataset, variant=variant)
    return out + ablation_outputs() + compare_outputs() + audit_outputs()


TABLES = {
    "table1_target_accuracy": "Table 1",
    "table2_auc": "Table 2",
    "table3_acc": "Table 3",
    "table4_label_only": "Table 4",
}


def part_of(dataset, split):
    """Label of the part (e.g. "0-4") whose jobs handle split ``split``."""
    return dview.part_of(config, dataset, split)


def part_file(rule_output, w, split):
    """``rule_output`` for the part of dataset ``w.dataset`` holding ``split``."""
    return rule_output.format(
        dataset=w.dataset, variant=w.variant, part=part_of(w.dataset, split)
    )


def table_runs():
    """One entry per (dataset, variant, split), with the files of its part."""
    runs = []
    for d, v, t in dview.runs(config):
        files = dict(dataset=d, variant=v, part=part_of(d, t))
        runs.append(
            {
                "dataset": d,
                "variant": v,
                "split": t,
                "label": dview.label(config, d, v),
                "paper_row": config["datasets"][d]["variants"][v].get(
                    "paper_row",
                    config["datasets"][d].get("paper_row") if v == "plain" else None,
                ),
                "metrics": rules.attack.output.metrics.format(**files),
                "bootstrap": rules.attack.output.bootstrap.format(**files),
                "scores": rules.score.output.scores.format(**files),
                "split_file": rules.split.output.split.format(
                    **{**files, "variant": dview.model_variant(config, d, v)}
                ),
            }
        )
    return runs


# Ablations (workflow/rules/ablations.smk)
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
        fv = dview.model_variant(config, dataset, v) if model_variant else v
        out[v] = [
            rule_output.format(dataset=dataset, variant=fv, part=p)
            for p in dview.parts(config, dataset)
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
    if one_run_runs():
        out += list(rules.one_run_report.output)
    return out


def first_part(rule_output, model_variant=False):
    """Input function: ``rule_output`` of the part holding split 0 (of the variant's
    ``targets_from`` variant with ``model_variant``)."""

    def f(w):
        v = dview.model_variant(config, w.dataset, w.variant) if model_variant else w.variant
        return rule_output.format(dataset=w.dataset, variant=v, part=part_of(w.dataset, 0))

    return f


def one_run_runs():
    """One entry per (dataset, variant) of the one-run audit (``ablations.one_run``)."""
    node = config["ablations"].get("one_run", {})
    return [
        {"dataset": d, "variant": v,
         "epsilon": (dview.dp(config, d, v) or {}).get("epsilon"),
         "table": f"results/{d}/{v}/one_run/one_run.csv"}
        for d, variants in node.get("datasets", {}).items()
        for v in variants
    ]


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


# The comparison with LiRA / RMIA (workflow/rules/compare.smk)
CMP = f"results/compare/{config['name']}"


def one_run_delta(w):
    """The delta the one-run audit's (epsilon, delta) bounds test: the variant's DP
    delta, or the DP default for an undefended variant."""
    return dview.dp_delta(config, w.dataset, w.variant)


def compare_cfg(key):
    return config["compare"][key]


def pool_chunk_files(w):
    """The pool's model files of part ``w.part``: one per chunk of `models_per_job`."""
    n = config["compare"]["references"]
    return chunk_files(rules.train_pool.output.models, w, w.variant, n)


def quantile_scores_file(w):
    """The quantile attack's scores of part ``w.part``, when it is among the attacks."""
    if "quantile" not in config["compare"]["attacks"]:
        return []
    return [rules.compare_quantile.output.out_scores.format(**w)]


def compare_runs():
    """One entry per (dataset, variant) of the comparison, with its part files."""
    runs = []
    for d, variants in config["compare"]["datasets"].items():
        for v in variants:
            parts = dview.parts(config, d)
            files = lambda rule: [rule.format(dataset=d, variant=v, part=p) for p in parts]
            runs.append({
                "dataset": d, "variant": v, "label": dview.label(config, d, v),
                "metrics": files(rules.compare_attack.output.out_metrics),
                "scores": files(rules.compare_attack.output.out_scores),
                "quantile_fit": (files(rules.compare_quantile.output.out_fit)
                                 if "quantile" in config["compare"]["attacks"] else []),
            })
    return runs


def compare_outputs():
    if not config["compare"]["datasets"]:
        return []
    return [*rules.compare_report.output, *rules.compare_figure.output]


# Audits (workflow/rules/audit.smk)
AUDITS = config["audits"]
AUDIT_NAMES = list(AUDITS) + dview.audit_datasets(config)


wildcard_constraints:
    audit="|".join(map(re.escape, AUDIT_NAMES)),


def audit_scores_file(key):
    """The audit's `scores` file(s) ``key`` (target, references, members)."""
    return lambda w: AUDITS[w.audit]["scores"][key]


def audit_parts(key):
    """The attack_scores / scores files the report of ``w.audit`` reads: the audit's
    own (an audit of scores) or every part of the dataset's first variant."""

    def f(w):
        if w.audit in AUDITS:
            return [getattr(rules.audit_scores.output, key).format(audit=w.audit)]
        ds = config["datasets"][w.audit]
        producer = rules.attack if key == "attack_scores" else rules.score
        rule_output = getattr(producer.output, key)
        variant = next(iter(ds["variants"]))
        return [
            rule_output.format(dataset=w.audit, variant=variant, part=p)
            for p in dview.parts(config, w.audit)
        ]

    return f


def audit_data(w):
    """The dataset's data.npz (none for an audit of scores)."""
    if w.audit in AUDITS:
        return []
    return rules.prepare.output.data.format(dataset=w.audit)


def audit_what(w):
    """One sentence on what the report audits (its entry point)."""
    if w.audit in AUDITS:
        return "Scores computed outside diffcal: the target's and its reference models' losses."
    ds = config["datasets"][w.audit]
    if ds.get("target"):
        return "Your trained target (its checkpoint, not retrained), with reference models trained here."
    return "A target and reference models trained here on your data."


def audit_title(w):
    node = AUDITS.get(w.audit) or config["datasets"][w.audit]
    return node.get("label", w.audit)


def audit_outputs():
    return expand(rules.audit_report.output.html, audit=AUDIT_NAMES)
