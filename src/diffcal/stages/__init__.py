"""One module per workflow stage: functions from input files to output files.

Each Snakemake rule calls one function here through a thin script. Keeping one
module per stage lets :mod:`diffcal.codedeps` rerun a rule exactly when the code
it runs changes.
"""
