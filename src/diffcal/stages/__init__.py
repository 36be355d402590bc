"""One module per workflow stage: functions from input files to output files.

Each Snakemake rule calls one function here through a thin script. Keeping one
module per rule (the training rules share :mod:`~diffcal.training.fit`, the figure
rules of the ablations share :mod:`~diffcal.stages.ablations`) lets
:mod:`diffcal.config.codedeps` rerun a rule when the code it runs changes and not when
another rule's does; the ``prepare`` rule's digest also covers only its dataset's
loader (:mod:`diffcal.data.sources`).
"""


def rule_params(params) -> dict:
    """A rule's ``params`` as keyword arguments of its stage function: all but
    ``code`` (the code digest, there only to rerun the rule when its code changes)."""
    return {k: v for k, v in params.items() if k != "code"}
