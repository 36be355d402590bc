"""The README's commands are the ones CI runs."""

import re

from conftest import REPO


def _bash_blocks(text):
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    blocks = [b.strip() for b in _bash_blocks(readme)]
    test_cmd = next(b for b in blocks if "pytest" in b)
    ci = (REPO / ".ci/run").read_text()
    assert test_cmd in ci.splitlines()


def test_readme_run_command_targets_all():
    blocks = [b.strip() for b in _bash_blocks((REPO / "README.md").read_text())]
    assert any(
        b.startswith("python3.11 -m venv") and b.endswith("snakemake --cores 2 all") for b in blocks
    )


def test_readme_stays_short():
    """Details go to docs/; the README is a front page (at most 150 lines)."""
    assert len((REPO / "README.md").read_text().splitlines()) <= 150
