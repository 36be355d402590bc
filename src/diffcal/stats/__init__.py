"""Statistics apart from attacks: confidence intervals, the bootstrap, lower bounds
on epsilon and the verdicts of the claims."""
