"""Every docstring example in src/diffcal runs and gives what it shows."""

import doctest
import importlib

import pytest
from conftest import REPO

MODULES = sorted(
    ".".join(p.relative_to(REPO / "src").with_suffix("").parts)
    for p in (REPO / "src/diffcal").rglob("*.py")
    if ">>>" in p.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0, module
