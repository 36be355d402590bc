"""The workflow's file lists, from the config: what ``rule all`` asks for, which
files the report, ablation, comparison and audit rules read, and the per-variant
indirection (a variant's targets or references taken from another variant).

Pure functions of the config and of the rules' output patterns (``rules``: any
object with ``rules.<rule>.output.<name>`` pattern strings, Snakemake's or a test's
stand-in), so the enumeration is tested in-process, without Snakemake
(``tests/unit/config/test_targets.py``). The rule files bind them to their config
(``T = Targets(config)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diffcal.config import lm_views, views

#: The paper tables the tables rule writes: file stem -> the paper's name.
TABLES = {
    "table1_target_accuracy": "Table 1",
    "table2_auc": "Table 2",
    "table3_acc": "Table 3",
    "table4_label_only": "Table 4",
}


#: The output folders (``results/<kind>/<name>/``) that carry a provenance.json.
FOLDER_KINDS = ("tables", "audit", "ablations", "compare", "lm")


def _fill(pattern: str, **wildcards: Any) -> str:
    """``pattern`` with its ``{wildcards}`` filled (Snakemake's ``expand`` for one)."""
    return str(pattern).format(**wildcards)


class Targets:
    """The file lists of one config. ``w``: a job's wildcards (attributes)."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self.audits = config.get("audits") or {}
        self.audit_names = list(self.audits) + views.audit_datasets(config)
        #: (dataset, variant) -> the variant whose shadow and references it uses
        self.reference_variant = {
            (d, v): views.reference_variant(config, d, v)
            for d, ds in config["datasets"].items()
            for v in ds["variants"]
        }

    # -- a dataset's parts and variants ------------------------------------------------

    def part_of(self, dataset: str, split: int) -> str:
        """Label of the part (e.g. "0-4") whose jobs handle split ``split``."""
        return views.part_of(self.config, dataset, split)

    def part_file(self, pattern: str, w, split: int) -> str:
        """``pattern`` of the job's dataset and variant, for the part holding ``split``."""
        part = self.part_of(w.dataset, split)
        return _fill(pattern, dataset=w.dataset, variant=w.variant, part=part)

    def part_files(self, pattern: str, dataset: str, variant: str) -> list[str]:
        """``pattern`` for every part of ``dataset`` / ``variant``."""
        parts = views.parts(self.config, dataset)
        return [_fill(pattern, dataset=dataset, variant=variant, part=p) for p in parts]

    def per_variant(
        self, pattern: str, dataset: str, variants: Sequence[str], model_variant: bool = False
    ) -> dict[str, list[str]]:
        """variant -> ``pattern`` of every part of the variant (of its
        ``targets_from`` variant with ``model_variant``)."""
        out = {}
        for v in variants:
            fv = views.model_variant(self.config, dataset, v) if model_variant else v
            out[v] = self.part_files(pattern, dataset, fv)
        return out

    def abl(self, family: str) -> dict[str, Any]:
        """dataset -> variants of an ablation family (``ratio``/``references``:
        their ``datasets``)."""
        node = self.config["ablations"].get(family, {})
        return node.get("datasets", {}) if family in ("ratio", "references") else node

    def ablation_files(
        self, pattern: str, family: str, dataset: str, model_variant: bool = False
    ) -> list[str]:
        """``pattern`` of every part of every variant of ``dataset`` in ablation
        ``family``, flat."""
        variants = self.abl(family)[dataset]
        files = self.per_variant(pattern, dataset, variants, model_variant)
        return [p for paths in files.values() for p in paths]

    def from_model_variant(self, pattern: str):
        """Input function: ``pattern`` of the variant whose split, target and shadow
        this variant uses (itself, or its ``targets_from``)."""

        def f(w):
            mv = views.model_variant(self.config, w.dataset, w.variant)
            return _fill(pattern, dataset=w.dataset, variant=mv, part=w.part)

        return f

    def from_reference_variant(self, pattern: str):
        """Input function: ``pattern`` of the variant in :attr:`reference_variant`
        (the job's other wildcards, e.g. its chunk, kept)."""

        def f(w):
            rv = self.reference_variant[w.dataset, w.variant]
            return _fill(pattern, **{**dict(w.items()), "variant": rv})

        return f

    def shared_model(self, pattern: str):
        """Input function: the reference variant's file ``pattern`` when that is
        another variant (the job copies it instead of training), else none."""

        def f(w):
            if self.reference_variant[w.dataset, w.variant] == w.variant:
                return []
            return self.from_reference_variant(pattern)(w)

        return f

    def chunk_files(
        self, pattern: str, w, variant: str, n_models: int, part: str | None = None
    ) -> list[str]:
        """``pattern`` (a chunked model file) of part ``part`` (default ``w.part``) of
        ``variant``, for each chunk of ``n_models`` models (`models_per_job`)."""
        chunks = views.model_chunks(self.config, w.dataset, n_models)
        part = w.part if part is None else part
        return [
            _fill(pattern, dataset=w.dataset, variant=variant, part=part, chunk=c) for c in chunks
        ]

    def first_part(self, pattern: str, model_variant: bool = False):
        """Input function: ``pattern`` of the part holding split 0 (of the variant's
        ``targets_from`` variant with ``model_variant``)."""

        def f(w):
            v = w.variant
            if model_variant:
                v = views.model_variant(self.config, w.dataset, w.variant)
            part = self.part_of(w.dataset, 0)
            return _fill(pattern, dataset=w.dataset, variant=v, part=part)

        return f

    # -- what the report rules read ----------------------------------------------------

    def table_runs(self, rules) -> list[dict[str, Any]]:
        """One entry per (dataset, variant, split), with the files of its part."""
        runs = []
        for d, v, t in views.runs(self.config):
            files = dict(dataset=d, variant=v, part=self.part_of(d, t))
            ds = self.config["datasets"][d]
            default_row = ds.get("paper_row") if v == "plain" else None
            split_variant = views.model_variant(self.config, d, v)
            runs.append(
                {
                    "dataset": d,
                    "variant": v,
                    "split": t,
                    "label": views.label(self.config, d, v),
                    "paper_row": ds["variants"][v].get("paper_row", default_row),
                    "metrics": _fill(rules.attack.output.metrics, **files),
                    "bootstrap": _fill(rules.attack.output.bootstrap, **files),
                    "scores": _fill(rules.score.output.scores, **files),
                    "split_file": _fill(
                        rules.split.output.split, **{**files, "variant": split_variant}
                    ),
                }
            )
        return runs

    def one_run_runs(self, rules) -> list[dict[str, Any]]:
        """One entry per (dataset, variant, canary kind) of the one-run audit
        (``ablations.one_run``): its table, bounds and canary model files."""
        node = self.config["ablations"].get("one_run", {})
        return [
            {
                "dataset": d,
                "variant": v,
                "epsilon": (views.dp(self.config, d, v) or {}).get("epsilon"),
                "canaries": kind,
                **{
                    key: _fill(pattern, dataset=d, variant=v, canary_dir=views.CANARY_DIRS[kind])
                    for key, pattern in (
                        ("table", rules.one_run_audit.output.out),
                        ("bounds", rules.one_run_audit.output.bounds),
                        ("model", rules.train_canary.output.models),
                    )
                },
            }
            for d, variants in node.get("datasets", {}).items()
            for v in variants
            for kind in node.get("kinds", ["natural"])
        ]

    def ablation_figures(self, rules) -> list[str]:
        """Every output of the ablation figure rules the config asks for."""
        out = []
        for ds in self.abl("train_size"):
            out += [_fill(p, dataset=ds) for p in rules.fig_train_size.output]
        for ds, variants in self.abl("ratio").items():
            out += [
                _fill(p, dataset=ds, variant=v) for p in rules.fig_ratio.output for v in variants
            ]
        for ds in self.abl("references"):
            out += [_fill(p, dataset=ds) for p in rules.fig_references.output]
        for ds in self.abl("dp"):
            out += [_fill(p, dataset=ds) for p in rules.fig_dp.output]
        return out

    def ablation_csvs(self, rule, family: str, variant_wise: bool = False) -> dict[str, str]:
        """dataset (or dataset/variant) -> the CSV of a figure rule."""
        out = {}
        for ds, variants in self.abl(family).items():
            if variant_wise:
                for v in variants:
                    out[f"{ds}/{v}"] = _fill(rule.output.csv, dataset=ds, variant=v)
            else:
                out[ds] = _fill(rule.output.csv, dataset=ds)
        return out

    def ablation_outputs(self, rules) -> list[str]:
        out = self.ablation_figures(rules)
        if out:
            out += list(rules.ablations_doc.output)
        if self.one_run_runs(rules):
            out += list(rules.one_run_report.output)
        return out

    def compare_runs(self, rules) -> list[dict[str, Any]]:
        """One entry per (dataset, variant) of the comparison, with its part files."""
        cmp = self.config["compare"]
        runs = []
        for d, variants in cmp["datasets"].items():
            for v in variants:
                out = rules.compare_attack.output
                fit = rules.compare_quantile.output.out_fit
                runs.append(
                    {
                        "dataset": d,
                        "variant": v,
                        "label": views.label(self.config, d, v),
                        "metrics": self.part_files(out.out_metrics, d, v),
                        "scores": self.part_files(out.out_scores, d, v),
                        "quantile_fit": (
                            self.part_files(fit, d, v) if "quantile" in cmp["attacks"] else []
                        ),
                    }
                )
        return runs

    def compare_outputs(self, rules) -> list[str]:
        if not self.config["compare"]["datasets"]:
            return []
        return [*rules.compare_report.output, *rules.compare_figure.output]

    # -- audits ------------------------------------------------------------------------

    def audit_parts(self, rules, audit: str, key: str) -> list[str]:
        """The attack_scores / scores files the report of ``audit`` reads: the
        audit's own (an audit of scores) or every part of the dataset's first
        variant."""
        if audit in self.audits:
            return [_fill(getattr(rules.audit_scores.output, key), audit=audit)]
        producer = rules.attack if key == "attack_scores" else rules.score
        variant = next(iter(self.config["datasets"][audit]["variants"]))
        return self.part_files(getattr(producer.output, key), audit, variant)

    def audit_what(self, audit: str) -> str:
        """One sentence on what the report audits (its entry point)."""
        if audit in self.audits:
            return "Scores computed outside diffcal: the target's and its reference models' losses."
        if self.config["datasets"][audit].get("target"):
            return (
                "Your trained target (its checkpoint, not retrained), with reference "
                "models trained here."
            )
        return "A target and reference models trained here on your data."

    def audit_title(self, audit: str) -> str:
        node = self.audits.get(audit) or self.config["datasets"][audit]
        return node.get("label", audit)

    # -- rule all ----------------------------------------------------------------------

    def provenance_files(self, rules) -> list[str]:
        """``provenance.json`` of every output folder ``rule all`` writes to (the
        tables', each audit's, the ablations' and the comparison's)."""
        folders = []
        for p in self.all_outputs(rules):
            parts = p.split("/")
            if len(parts) > 3 and parts[0] == "results" and parts[1] in FOLDER_KINDS:
                folders.append("/".join(parts[:3]))
        pattern = rules.provenance.output.out
        return [_fill(pattern, folder=f) for f in dict.fromkeys(folders)]

    def all_outputs(self, rules) -> list[str]:
        """What ``rule all`` asks for."""
        if self.config["compare"]["only"]:
            return self.compare_outputs(rules)
        out = list(rules.tables.output) if self.config["datasets"] else []
        for dataset, ds in self.config["datasets"].items():
            for variant in ds["variants"]:
                out += [_fill(p, dataset=dataset, variant=variant) for p in rules.figures.output]
        audits = [_fill(rules.audit_report.output.html, audit=a) for a in self.audit_names]
        lms = lm_views.outputs(self.config)
        return out + self.ablation_outputs(rules) + self.compare_outputs(rules) + audits + lms
