"""What each job of the workflow is given, from the config: its params (the
sections of the dataset's config it needs, keys sorted), resources, and its
optional inputs (a given target's files, label-only scores, reference chunks).

Pure functions of the config and of the rules' output patterns (``rules``, as in
:mod:`diffcal.config.targets`); ``w``: a job's wildcards. The rule files bind them
to their config (``P = JobParams(config, T)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffcal.config import views
from diffcal.config.targets import Targets


class JobParams:
    """The per-job params and optional inputs of one config."""

    def __init__(self, config: Mapping[str, Any], targets: Targets):
        self.config = config
        self.t = targets

    def _ds(self, w) -> Mapping[str, Any]:
        return self.config["datasets"][w.dataset]

    # -- params ------------------------------------------------------------------------

    def ds_cfg(self, w, *keys: str) -> Any:
        """A subsection of the dataset's config (only what a rule needs, as params),
        its keys sorted: Snakemake compares params by their text, so the same
        settings written in another order must not rerun a job."""
        node = self._ds(w)
        for k in keys:
            node = node[k]
        return views.canonical(node)

    def seed_key(self, w) -> str:
        """Name that seeds derive from: the dataset's `seed_key`, else its name."""
        return self._ds(w).get("seed_key", w.dataset)

    def seeds(self, w) -> dict[str, Any]:
        """The split key every seed of a model derives from: the root seed and the
        dataset's seed key (see diffcal.core.seeds)."""
        return {"root_seed": self.config["root_seed"], "key": self.seed_key(w)}

    def refs(self, w, key: str) -> Any:
        """The variant's ``references`` setting ``key`` (dataset's, with overrides)."""
        return views.references(self.config, w.dataset, w.variant)[key]

    def refs_cfg(self, w) -> Any:
        """The variant's whole ``references`` section (one param, keys sorted)."""
        return views.canonical(views.references(self.config, w.dataset, w.variant))

    def label_only_cfg(self, w) -> Any:
        """The variant's label-only points and query budget (one param, keys
        sorted; ``enabled`` left out: it decides whether the job exists, not what
        it does)."""
        lo = views.label_only(self.config, w.dataset, w.variant)
        return views.canonical({k: v for k, v in lo.items() if k != "enabled"})

    def label_only_threads(self, w) -> int:
        """At least two: the label-only job attacks its models side by side, one
        torch thread each (Snakemake lowers it to --cores)."""
        return max(2, self._ds(w)["resources"]["threads"])

    def given_target_option(self, w, key: str, default: Any) -> Any:
        """An option of the dataset's `target` (its default without one)."""
        return (self._ds(w).get("target") or {}).get(key, default)

    def one_run_canaries(self, w) -> int:
        return views.one_run_canaries(self.config, w.dataset)

    def canary_kind(self, w) -> str:
        """``natural`` or ``mislabelled``, from the job's ``canary_dir``."""
        return {d: k for k, d in views.CANARY_DIRS.items()}[w.canary_dir]

    def canary_references(self, rules):
        """Input function: split 0's scratch reference files (of the variant's
        reference variant) for mislabelled canaries, whose calibration needs the
        references' losses at the canary labels; none for natural ones."""
        pattern = rules.train_scratch.output.out

        def f(w):
            if self.canary_kind(w) != "mislabelled":
                return []
            v = self.t.reference_variant[w.dataset, w.variant]
            n = views.references(self.config, w.dataset, v)["scratch"]
            return self.t.chunk_files(pattern, w, v, n, part=self.t.part_of(w.dataset, 0))

        return f

    def one_run_delta(self, w) -> float:
        """The delta the one-run audit's (epsilon, delta) bounds test: the
        variant's DP delta, or the DP default for an undefended variant."""
        return views.dp_delta(self.config, w.dataset, w.variant)

    def fig_title(self, w) -> str:
        return self._ds(w).get("label", w.dataset)

    def compare_cfg(self, key: str) -> Any:
        return self.config["compare"][key]

    def res(self, key: str):
        """Per-dataset resource, as a callable for `resources:` / `threads:`."""
        return lambda w: self.config["datasets"][w.dataset]["resources"][key]

    def train_resources(self) -> dict[str, Any]:
        """Resources of every training and scoring job: the dataset's `resources`."""
        return {k: self.res(k) for k in ("mem_mb", "runtime", "gpu")}

    # -- optional inputs ---------------------------------------------------------------

    def given_target(self, w, key: str) -> list[str]:
        """The dataset's `target` file ``key`` (checkpoint, members), or none when
        the pipeline trains the target."""
        target = self._ds(w).get("target") or {}
        return [target[key]] if target.get(key) else []

    def given_target_check(self, w, pattern: str) -> list[str]:
        """``pattern`` (the check_target output) of the dataset when it has a given
        target's checkpoint, else none."""
        return [pattern.format(dataset=w.dataset)] if self.given_target(w, "checkpoint") else []

    def user_files(self, w) -> list[str]:
        """The files of the user's that the dataset's source reads (none for
        built-ins)."""
        from diffcal.data.registry import source_files

        ds = self._ds(w)
        return source_files(ds["source"], ds.get("source_kwargs", {}))

    def label_only_input(self, rules):
        """Input function: the part's label_only.parquet when the variant runs the
        label-only attack."""

        def f(w):
            if not views.label_only(self.config, w.dataset, w.variant)["enabled"]:
                return []
            return rules.label_only.output.out

        return f

    def reference_chunks(self, rules, kind: str, reference_variant: bool = False):
        """Input function: the chunk files (`models_per_job`) of the part's ``kind``
        references (``scratch``, ``forget_target``, ``forget_shadow``), of the
        job's variant or of its reference variant."""
        pattern = {
            "scratch": rules.train_scratch.output.out,
            "forget_target": rules.train_forget.output.forget_target,
            "forget_shadow": rules.train_forget.output.forget_shadow,
        }[kind]
        count = "scratch" if kind == "scratch" else "forget"

        def f(w):
            v = self.t.reference_variant[w.dataset, w.variant] if reference_variant else w.variant
            n = views.references(self.config, w.dataset, v)[count]
            return self.t.chunk_files(pattern, w, v, n)

        return f

    def forget_tuning_input(self, rules):
        """Input function: the tuning result of the split when the dataset has a
        forget_tuning grid (the reference variant's: the tuning fine-tunes the
        shadow)."""

        def f(w):
            if not self.ds_cfg(w, "forget_tuning"):
                return []
            return self.t.from_reference_variant(rules.tune_forget.output.out_json)(w)

        return f

    def pool_chunk_files(self, rules):
        """Input function: the pool's model files of part ``w.part``, one per chunk
        of `models_per_job`."""
        n = self.config["compare"]["references"]
        return lambda w: self.t.chunk_files(rules.train_pool.output.models, w, w.variant, n)

    def quantile_scores_file(self, rules):
        """Input function: the quantile attack's scores of part ``w.part``, when it
        is among the attacks."""

        def f(w):
            if "quantile" not in self.config["compare"]["attacks"]:
                return []
            return [rules.compare_quantile.output.out_scores.format(**w)]

        return f

    def audit_scores_file(self, key: str):
        """Input function: the audit's `scores` file(s) ``key`` (target,
        references, members)."""
        return lambda w: self.t.audits[w.audit]["scores"][key]

    def audit_data(self, rules):
        """Input function: the dataset's data.npz (none for an audit of scores)."""

        def f(w):
            if w.audit in self.t.audits:
                return []
            return rules.prepare.output.data.format(dataset=w.audit)

        return f
