# Config validation, wildcard constraints and small helpers. No rules here.
import re
from pathlib import Path

from snakemake.utils import validate

from diffcal import config as dconf
from diffcal.codedeps import code_digest


validate(config, workflow.source_path("../schemas/config.schema.yaml"))
dconf.check_config(config)

DATASETS = list(config["datasets"])
VARIANTS = sorted({v for ds in config["datasets"].values() for v in ds["variants"]})
SRC = Path(workflow.basedir) / "src"


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    variant="|".join(map(re.escape, VARIANTS)),
    part=r"\d+(-\d+)?",


def code(stage):
    """Digest of the library code a stage runs: edits there rerun the rule."""
    return code_digest(f"diffcal.stages.{stage}", SRC)


def ds_cfg(w, *keys):
    """A subsection of the dataset's config (only what a rule needs, as params)."""
    node = config["datasets"][w.dataset]
    for k in keys:
        node = node[k]
    return node


def seed_key(w):
    """Name that seeds derive from: the dataset's `seed_key`, else its name."""
    return config["datasets"][w.dataset].get("seed_key", w.dataset)


def res(key):
    """Per-dataset resource, as a callable for `resources:` / `threads:`."""
    return lambda w: config["datasets"][w.dataset]["resources"][key]


def refs(w, key):
    """The variant's ``references`` setting ``key`` (dataset's, with overrides)."""
    return dconf.references(config, w.dataset, w.variant)[key]


def from_model_variant(rule_output):
    """Input function: ``rule_output`` of the variant whose split, target and shadow
    this variant uses (itself, or its ``targets_from``)."""

    def f(w):
        mv = dconf.model_variant(config, w.dataset, w.variant)
        return rule_output.format(dataset=w.dataset, variant=mv, part=w.part)

    return f


def forget_tuning_input(w):
    """The tuning result of the split when the dataset has a forget_tuning grid."""
    if not ds_cfg(w, "forget_tuning"):
        return []
    return rules.tune_forget.output.chosen


def all_outputs():
    out = list(rules.tables.output)
    for dataset, ds in config["datasets"].items():
        for variant in ds["variants"]:
            out += expand(rules.figures.output, dataset=dataset, variant=variant)
    return out + ablation_outputs()


TABLES = {
    "table1_target_accuracy": "Table 1",
    "table2_auc": "Table 2",
    "table3_acc": "Table 3",
}


def part_of(dataset, split):
    """Label of the part (e.g. "0-4") whose jobs handle split ``split``."""
    return dconf.part_of(config, dataset, split)


def part_file(rule_output, w, split):
    """``rule_output`` for the part of dataset ``w.dataset`` holding ``split``."""
    return rule_output.format(
        dataset=w.dataset, variant=w.variant, part=part_of(w.dataset, split)
    )


def table_runs():
    """One entry per (dataset, variant, split), with the files of its part."""
    runs = []
    for d, v, t in dconf.runs(config):
        files = dict(dataset=d, variant=v, part=part_of(d, t))
        runs.append(
            {
                "dataset": d,
                "variant": v,
                "split": t,
                "label": dconf.label(config, d, v),
                "paper_row": config["datasets"][d]["variants"][v].get(
                    "paper_row",
                    config["datasets"][d].get("paper_row") if v == "plain" else None,
                ),
                "metrics": rules.attack.output.metrics.format(**files),
                "scores": rules.score.output.scores.format(**files),
                "split_file": rules.split.output.split.format(
                    **{**files, "variant": dconf.model_variant(config, d, v)}
                ),
            }
        )
    return runs
