"""diffcal: membership inference with difficulty calibration (Watson et al., ICLR 2022).

The library is Snakemake-free. Its folders follow the pipeline, each importing only
from the folders before it:

- ``core``: atomic file writes, logging, seeds, the user's own code (used by every folder);
- ``stats``: confidence intervals, the bootstrap, lower bounds on epsilon, verdicts;
- ``data``: sources (one loader module each), the prepared format, splits, downloads;
- ``training``: architectures, training loops (one by one, stacked, DP-SGD),
  forgetting-recipe tuning, model files;
- ``attacks``: the attack registry and plugins, per-sample scores, calibration,
  metrics, the attacks of a split, label-only (HopSkipJump), LiRA / RMIA on a
  reference pool, ablation maths;
- ``reporting``: the paper's values, tables, comparison with the paper, claims,
  figures' set-up, docs synchronisation;
- ``config``: reading and checking a config, the rules' file lists, params and
  code digests, the recipe search;
- ``stages``: exactly one module per Snakemake rule, a function from input files to
  output files.
"""

__version__ = "0.2.0"


def audit(*args, **kwargs):
    """An audit of scores from arrays: :func:`diffcal.reporting.audit_arrays.audit`
    (imported when called: ``import diffcal`` stays light)."""
    from diffcal.reporting.audit_arrays import audit as _audit

    return _audit(*args, **kwargs)
