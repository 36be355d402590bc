"""The library's folders follow the pipeline: each imports only from itself and
the folders before it, stages never import each other, modules stay short."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO

from diffcal.config.codedeps import module_closure

SRC = REPO / "src"
PKG = SRC / "diffcal"
#: Bottom to top: a folder may import from itself and the folders before it.
LAYERS = ["core", "stats", "data", "training", "attacks", "reporting", "config", "stages"]
MAX_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        yield ".".join(parts), path


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("diffcal."):
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("diffcal."))


def test_every_module_lives_in_a_layer():
    loose = [m for m, _ in _modules() if m.count(".") == 1 and m.split(".")[1] not in LAYERS]
    assert loose == [], f"modules outside the folders {LAYERS}: {loose}"


@pytest.mark.parametrize("layer", LAYERS)
def test_no_folder_imports_from_a_folder_above_it(layer):
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    bad = [
        f"{mod} imports {imp}"
        for mod, path in _modules()
        if mod.split(".")[1:2] == [layer]
        for imp in _imports(path)
        if imp.split(".")[1] not in allowed
    ]
    assert bad == []


def test_stages_never_import_another_stage():
    bad = [
        f"{mod} imports {imp}"
        for mod, path in _modules()
        if mod.startswith("diffcal.stages.")
        for imp in _imports(path)
        if imp.startswith("diffcal.stages.") and imp != mod
    ]
    assert bad == []


def test_one_stage_module_per_rule_script():
    scripts = {p.stem for p in (REPO / "workflow/scripts").glob("*.py")}
    stages = {p.stem for p in (PKG / "stages").glob("*.py")} - {"__init__"}
    assert scripts == stages
    for name in sorted(scripts):
        text = (REPO / "workflow/scripts" / f"{name}.py").read_text()
        assert f"from diffcal.stages.{name} import run_{name}" in text, name
        # the stage's code digest covers no other stage
        closure = module_closure(f"diffcal.stages.{name}", SRC)
        assert [m for m in closure if m.startswith("diffcal.stages.")] == [f"diffcal.stages.{name}"]


def test_rules_digest_their_own_stage():
    """A rule's ``code`` param is the digest of the stage module named after it."""
    import re

    for smk in (REPO / "workflow/rules").glob("*.smk"):
        rules = re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), re.M | re.S)
        for rule, body in rules:
            digests = re.findall(r'code=D\.(?:train_|attack_)?code\("(\w+)"\)', body)
            if "script:" in body and rule != "prepare":
                assert digests == [rule], f"{smk.name}: rule {rule} digests {digests}"


def test_no_module_is_over_the_line_limit():
    long = {m: n for m, p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_function_is_over_the_line_limit():
    """Functions stay short (docstring included): compute and render apart."""
    long = {
        f"{mod}.{node.name}": node.end_lineno - node.lineno + 1
        for mod, path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert long == {}


def test_subpackage_inits_re_export_nothing():
    """Code digests follow imports: an __init__ that imports would widen every digest."""
    for init in PKG.rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        assert not [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)], init


def test_tests_are_laid_out_by_folder():
    """unit/<package> mirrors src/diffcal; the tier is the folder (pyproject's
    testpaths: the fast tier; tests/workflow: the slow one), never a mark."""
    tests = REPO / "tests"
    tiers = {"unit", "meta", "smoke", "workflow"}
    misplaced = [
        str(p.relative_to(tests))
        for p in sorted(tests.rglob("test_*.py"))
        if p.relative_to(tests).parts[0] not in tiers
        or (p.relative_to(tests).parts[0] == "unit" and not (PKG / p.parent.name).is_dir())
    ]
    assert misplaced == []
    marked = [p.name for p in tests.rglob("*.py") if "mark." + "slow" in p.read_text()]
    assert marked == []
    basenames = [p.name for p in tests.rglob("test_*.py")]
    assert len(basenames) == len(set(basenames)), "one module name per test file"
