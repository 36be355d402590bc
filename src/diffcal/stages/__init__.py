"""One module per workflow stage: functions from input files to output files.

Each Snakemake rule calls one function here, in the module named after the rule,
through a thin script. A stage module imports from the library's folders, never from
another stage, so :mod:`diffcal.config.codedeps` reruns a rule when the code it runs
changes and not when another rule's does; the ``prepare`` rule's digest also covers
only its dataset's loader (:mod:`diffcal.data.sources`).
"""


def rule_params(params) -> dict:
    """A rule's ``params`` as keyword arguments of its stage function: all but
    ``code`` (the code digest, there only to rerun the rule when its code changes)."""
    return {k: v for k, v in params.items() if k != "code"}


def optional_file(value) -> str | None:
    """An optional one-file input of a rule (a function returning [] or [path]):
    the path, or None."""
    if not value:
        return None
    return value if isinstance(value, str) else str(value[0])


def shared_files(inputs, **roles: str) -> dict[str, str]:
    """role -> file of the optional inputs named ``roles[role]`` that are present
    (another variant's models a training job copies instead of training)."""
    files = {role: optional_file(inputs.get(name)) for role, name in roles.items()}
    return {role: f for role, f in files.items() if f}
