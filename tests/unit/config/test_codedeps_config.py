"""Code digests, config checks and the schema's agreement with the registries."""

import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import (
    REPO,
    WALKTHROUGHS,
    copy_workflow,
)

from diffcal.attacks import calibration as attacks
from diffcal.config.checks import RESERVED_NAMES, config_warnings
from diffcal.config.codedeps import code_digest, module_closure
from diffcal.config.errors import ConfigError
from diffcal.config.load import load_config, prepare_config
from diffcal.data import registry as data
from diffcal.training import models

SRC = REPO / "src"


def test_module_closure_follows_imports():
    attack = module_closure("diffcal.stages.attack", SRC)
    assert {
        "diffcal.stages.attack",
        "diffcal.attacks.calibration",
        "diffcal.attacks.metrics",
        "diffcal.core.io",
    } <= set(attack)
    assert "diffcal.training.train" not in attack and "diffcal.attacks.scores" not in attack
    train = module_closure("diffcal.stages.train_base", SRC)
    assert {
        "diffcal.training.train",
        "diffcal.training.models",
        "diffcal.data.prepared",
        "diffcal.data.splits",
    } <= set(train)
    assert "diffcal.attacks.metrics" not in train
    # A rule's digest covers what it runs, not the other rules or loaders
    assert "diffcal.stages.tune_forget" not in train
    assert not any(m.startswith("diffcal.data.sources") for m in train)
    assert "diffcal.data.registry" not in train
    # The epsilon bounds are in fig_dp's digest, in no training / scoring /
    # attack rule's, so adding them reruns the figure only
    assert "diffcal.stats.privacy" in module_closure("diffcal.stages.fig_dp", SRC)
    for stage in ("train_base", "train_scratch", "train_forget", "tune_forget", "score", "attack"):
        assert "diffcal.stats.privacy" not in module_closure(f"diffcal.stages.{stage}", SRC)


def test_code_digest_changes_with_dependency(tmp_path):
    wd = copy_workflow(tmp_path / "wf")
    before = code_digest("diffcal.stages.attack", wd / "src")
    metrics = wd / "src" / "diffcal" / "attacks" / "metrics.py"
    metrics.write_text(metrics.read_text() + "\n# edit\n")
    assert code_digest("diffcal.stages.attack", wd / "src") != before
    train_digest = code_digest("diffcal.stages.train_base", wd / "src")
    assert train_digest == code_digest("diffcal.stages.train_base", SRC)


def _schema():
    return yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def test_schema_enums_match_registries():
    ds = _schema()["properties"]["datasets"]["additionalProperties"]["properties"]
    assert "enum" not in ds["source"]  # sources are found in their files (data.registry)
    for name in ("sklearn_breast_cancer", "mnist", "table"):
        assert name in ds["source"]["description"] and name in data.SOURCES
    assert set(ds["model"]["properties"]["arch"]["enum"]) == set(models.ARCHS)
    att = _schema()["properties"]["attack"]["properties"]
    assert set(att["scores"]["items"]["enum"]) == set(attacks.SCORES)
    assert set(att["calibrations"]["items"]["enum"]) == set(attacks.CALIBRATIONS)


def test_every_schema_key_is_described():
    def walk(node, path):
        if isinstance(node, dict):
            if "properties" in node:
                for k, v in node["properties"].items():
                    assert "description" in v, f"{path}.{k} has no description"
                    walk(v, f"{path}.{k}")
            if isinstance(node.get("additionalProperties"), dict):
                walk(node["additionalProperties"], f"{path}.*")

    walk(_schema(), "config")


BAD_CONFIGS = [
    ("datasets: {x: {source: nope}}", ["source", "sklearn_digits"]),
    ("datasets: {x: {source: sklearn_digits, splits: 0}}", ["splits", "minimum"]),
    ("datasets: {x: {source: sklearn_digits, splits: two}}", ["splits", "integer"]),
    (
        "attack: {scores: [loss, lira]}\ndatasets: {x: {source: sklearn_digits}}",
        ["scores", "confidence"],
    ),
    ("datasets: {x: {source: sklearn_digits, model: {arch: vit}}}", ["arch", "mnist_cnn"]),
    ("datasets: {x: {source: sklearn_digits, train: {epochz: 3}}}", ["epochz"]),
    (
        "datasets: {x: {source: sklearn_digits, splits: 2}}\nreport: {figure_split: 4}",
        ["report.figure_split", "splits: 2"],
    ),
    ("datasets: {}", ["datasets"]),
    (
        "datasets: {x: {source: imagenet, source_kwargs: {sise: 8}}}",
        ["datasets.x.source_kwargs.sise", "max_per_class"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, forget_tuning: {lr: []}}}",
        ["forget_tuning", "lr"],
    ),
    # ablations: epsilon <= 0, a ratio outside (0, 1], K above the
    # references trained, a training size above the member pool
    (
        "datasets: {x: {source: sklearn_digits, variants: {e: {dp: {epsilon: 0}}}}}",
        ["datasets.x.variants.e.dp.epsilon", "> 0"],
    ),
    (
        "ablations: {ratio: {ratios: [0.5, 1.5], datasets: {x: [plain]}}}\n"
        "datasets: {x: {source: sklearn_digits}}",
        ["ablations.ratio.ratios", "(0, 1]", "1.5"],
    ),
    (
        "ablations: {references: {max_k: 4, datasets: {x: [plain]}}}\n"
        "datasets: {x: {source: sklearn_digits, references: {scratch: 3, forget: 5}}}",
        ["ablations.references.max_k", "K = 4", "scratch 3"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, variants: {n: {train_size: 500}}}}",
        ["datasets.x.variants.n.train_size", "449 members"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, variants: {r: {targets_from: nope}}}}",
        ["datasets.x.variants.r.targets_from", "nope"],
    ),
    (
        "ablations: {dp: {x: [plain]}}\ndatasets: {x: {source: sklearn_digits}}",
        ["ablations.dp.x", "no variant with a dp section"],
    ),
    # Errors that used to pass the dry run and fail inside a job
    (
        "datasets: {x: {source: sklearn_digits, model: {kwargs: {hidden_mul: 2}}}}",
        ["datasets.x.model.kwargs.hidden_mul", "hidden_mult"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, split: {private_fraction: 0.001}}}",
        ["datasets.x.split", "too small"],
    ),
    ("datasets: {x: {source: sklearn_digits, train: {epochs: 0}}}", ["train.epochs", "minimum"]),
    (
        "attack: {fpr_levels: [0.01, 0.01]}\ndatasets: {x: {source: sklearn_digits}}",
        ["attack.fpr_levels", "non-unique"],
    ),
    # One line naming the key, not the schema
    (
        "datasets: {x: {source: sklearn_digits, trian: {}}}",
        ["datasets.x", "'trian' was unexpected"],
    ),
    # A label-only query budget of 0 or below, inconsistent, or overridden
    (
        "datasets: {x: {source: sklearn_digits, label_only: {enabled: true, max_iter: 0}}}",
        ["datasets.x.label_only.max_iter", "minimum"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, label_only: {max_eval: -3}}}",
        ["datasets.x.label_only.max_eval", "minimum"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, label_only: {init_eval: 500, max_eval: 100}}}",
        ["datasets.x.label_only", "init_eval (500) exceeds max_eval (100)"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, variants: {v: {label_only: {points: 0}}}}}",
        ["datasets.x.variants.v.label_only.points", "integer >= 1"],
    ),
    # The MLP's output head
    (
        "datasets: {x: {source: sklearn_digits, model: {kwargs: {head: sigmoid}}}}",
        ["datasets.x.model.kwargs.head", "'sigmoid' is not a head"],
    ),
    # The comparison's budgets, datasets, variants and attacks
    (
        "compare: {references: 4, budgets: [1, 8], datasets: {x: [plain]}}\n"
        "datasets: {x: {source: sklearn_digits}}",
        ["compare.budgets", "budget 8 is more than the 4 pool references"],
    ),
    (
        "compare: {datasets: {y: [plain]}}\ndatasets: {x: {source: sklearn_digits}}",
        ["compare.datasets.y", "unknown dataset"],
    ),
    (
        "compare: {datasets: {x: [v]}}\ndatasets: {x: {source: sklearn_digits}}",
        ["compare.datasets.x", "unknown variant 'v'"],
    ),
    (
        "compare: {attacks: [lira, loss]}\ndatasets: {x: {source: sklearn_digits}}",
        ["compare.attacks", "['lira'] not attacks of the comparison; known: ['loss'"],
    ),
    (
        "compare: {datasets: {x: [e]}}\n"
        "datasets: {x: {source: sklearn_digits, variants: {e: {dp: {epsilon: 1}}}}}",
        ["compare.datasets.x", "DP-SGD"],
    ),
    # Stopping on the reference pool needs samples the reference does not train on
    (
        "datasets: {x: {source: sklearn_digits, references: {early_stopping: true, "
        "stop_on: reference}}}",
        ["datasets.x.variants.plain.references.stop_on", "size_fraction < 1"],
    ),
    (
        "datasets: {x: {source: sklearn_digits, references: {stop_on: validation}}}",
        ["datasets.x.references.stop_on", "'validation' is not allowed"],
    ),
    # a quoted number is a string, not an integer
    ('datasets: {x: {source: sklearn_digits, splits: "3"}}', ["datasets.x.splits", "'3'"]),
    # a dataset named like a report folder would write into it
    *(
        (f"datasets: {{{name}: {{source: sklearn_digits}}}}", [f"datasets.{name}", "output folder"])
        for name in ("tables", "figures", "ablations", "compare")
    ),
    # language models: the corpus file, the model's shape, the name
    (
        "language_models: {t: {corpus: {source: file}}}",
        ["language_models.t.corpus.path", "needs the corpus file's path"],
    ),
    (
        "language_models: {t: {corpus: {source: file, path: no/such.txt}}}",
        ["language_models.t.corpus.path", "no/such.txt is not a file"],
    ),
    (
        "language_models: {t: {corpus: {source: fortunes}, model: {dim: 30, heads: 4}}}",
        ["language_models.t.model.heads", "must divide dim (30)"],
    ),
    (
        "language_models: {lm: {corpus: {source: fortunes}}}",
        ["language_models.lm", "output folder"],
    ),
    (
        "language_models: {t: {corpus: {source: fortunes}}}\n"
        "lm_audits: {t: {documents: d.csv, target: t.csv, references: {r: r.csv}}}",
        ["lm_audits.t", "taken by an entry of `language_models`"],
    ),
    (
        "lm_audits: {a: {documents: no/d.csv, target: t.csv, references: {r: r.csv}}}",
        ["lm_audits.a.documents", "no/d.csv is not a file"],
    ),
    (
        "lm_audits: {a: {documents: d.csv, target: t.csv, references: {}}}",
        ["lm_audits.a.references", "should be non-empty"],
    ),
    (
        "language_models: {t: {corpus: {source: web}}}",
        ["language_models.t.corpus.source", "'web' is not allowed"],
    ),
]


@pytest.mark.parametrize("text, needles", BAD_CONFIGS)
def test_bad_config_is_one_line_naming_the_key(text, needles):
    """In-process: the path every config takes (the Snakefile calls prepare_config)."""
    with pytest.raises(ConfigError) as err:
        prepare_config(yaml.safe_load(text))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("config key '"), msg
    assert needles[0] in msg.split(":")[0] or needles[0] in msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    assert "$schema" not in msg


def test_reserved_names_are_the_report_folders_of_the_rules():
    """Every literal first folder under results/ in a rule's output is reserved."""
    found = set()
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        found |= set(re.findall(r'"results/([a-z_]+)/', smk.read_text()))
    assert found == set(RESERVED_NAMES)


_CONFIGS = sorted(p.name for p in (REPO / "config").glob("*.yaml"))


def _missing_for(path) -> str | None:
    """What a config's pretrained language model needs and this install lacks: the
    lm extra, or the package of a packaged model (None: nothing)."""
    import importlib.util

    from diffcal.training.pretrained_lm import PACKAGED

    for lm in (yaml.safe_load(path.read_text()).get("language_models") or {}).values():
        model = lm.get("model", {})
        if model.get("arch") != "pretrained":
            continue
        if any(importlib.util.find_spec(m) is None for m in ("transformers", "gguf")):
            return "pretrained models need the lm extra"
        package = PACKAGED.get(model.get("source"), (None,))[0]
        if package and importlib.util.find_spec(package) is None:
            return f"the package {package} is not installed"
    return None


@pytest.mark.parametrize("configfile", [c for c in _CONFIGS if c not in WALKTHROUGHS])
def test_every_repo_config_passes_the_checks(configfile):
    """Every config passes; one whose pretrained model needs what this install lacks
    (the lm extra is not in requirements.lock) stops with the line that says so."""
    path = REPO / "config" / configfile
    missing = _missing_for(path)
    if missing:
        with pytest.raises(ConfigError, match=missing):
            load_config(path)
        return
    cfg = load_config(path)
    assert cfg["datasets"] or cfg["audits"] or cfg["language_models"] or cfg["lm_audits"]


def test_tiny_threshold_set_warns():
    cfg = prepare_config(
        yaml.safe_load(
            "datasets: {x: {source: sklearn_breast_cancer, split: {private_fraction: 0.95}}}"
        )
    )
    (warning,) = config_warnings(cfg)
    assert warning.startswith("config key 'datasets.x.split'") and "tau will be noisy" in warning


@pytest.mark.parametrize(
    "configfile", ["config/paper.yaml", "config/ablations.yaml", "config/compare.yaml"]
)
def test_load_config_fills_defaults_as_snakemake_does(configfile):
    """One config path. The library's loader (used by recipe_search)
    gives the config Snakemake's own validate(set_default=True) gives, plus the
    defaults the attack registry holds (the comparison's attacks)."""
    from snakemake.utils import validate

    from diffcal.attacks import registry
    from diffcal.config.load import SCHEMA, load_config

    ours = load_config(REPO / configfile)
    theirs = yaml.safe_load((REPO / configfile).read_text())
    validate(theirs, str(SCHEMA), set_default=True)
    theirs["compare"].setdefault("attacks", list(registry.suite("compare")))
    assert ours == theirs


def test_load_config_defaults_match_the_schema(tmp_path):
    from diffcal.config.load import load_config
    from diffcal.training.train import RECIPE_DEFAULTS

    (tmp_path / "c.yaml").write_text("datasets: {x: {source: sklearn_digits}}\n")
    cfg = load_config(tmp_path / "c.yaml")
    assert cfg["root_seed"] == 20220425 and cfg["datasets"]["x"]["splits"] == 5
    # the library's recipe defaults are the schema's (not a second copy that drifts)
    assert {**RECIPE_DEFAULTS, **cfg["datasets"]["x"]["train"]} == RECIPE_DEFAULTS
    assert cfg["datasets"]["x"]["train"] == RECIPE_DEFAULTS


def test_jobs_import_the_library_of_the_checkout(monkeypatch):
    from diffcal.config.codedeps import import_jobs_from

    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    import_jobs_from("/checkout/src")
    assert os.environ["PYTHONPATH"].split(os.pathsep) == ["/checkout/src", "/elsewhere"]


def _ast_imports(path: Path, package: str) -> set[str]:
    """The oracle of the import scan: the same rule, applied to the syntax tree."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == package:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_import_scan_agrees_with_the_syntax_tree_on_every_module(tmp_path):
    from diffcal.config.codedeps import _imports

    files = sorted((SRC / "diffcal").rglob("*.py"))
    assert len(files) > 50
    for path in files:
        assert _imports(path, "diffcal") == _ast_imports(path, "diffcal"), path
    odd = tmp_path / "odd.py"
    odd.write_text(
        "def f():\n    from diffcal.a import (\n        b,  # c\n        d as e,\n    )\n"
        "import diffcal.x.y as z, os\nfrom diffcal import core\n"
    )
    assert (
        _imports(odd, "diffcal")
        == _ast_imports(odd, "diffcal")
        == {"diffcal.a", "diffcal.a.b", "diffcal.a.d", "diffcal.x.y", "diffcal", "diffcal.core"}
    )


def test_the_config_check_names_match_the_builders():
    """training.spec (torch-free, read by the config check) against the builders."""
    import inspect

    from diffcal.training.spec import ARCHS, MODEL_OPTIONS

    assert set(MODEL_OPTIONS) == set(models.MODELS) and ARCHS == (*models.MODELS, "python")
    for arch, builder in models.MODELS.items():
        params = inspect.signature(builder).parameters.values()
        kw = tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)
        assert MODEL_OPTIONS[arch] == kw, arch
    for source in data.SOURCES:
        params = inspect.signature(data.loader(source)).parameters.values()
        kw = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
        assert data.source_options(source) == kw, source
