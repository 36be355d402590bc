"""diffcal: membership inference with difficulty calibration (Watson et al., ICLR 2022).

The library is Snakemake-free: every stage of the workflow is a plain function in
:mod:`diffcal.pipeline` that reads and writes files, built on small pure modules
(:mod:`diffcal.attacks.calibration`, :mod:`diffcal.attacks.metrics`, :mod:`diffcal.attacks.scores`, ...).
"""

__version__ = "0.1.0"
