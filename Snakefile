# diffcal: membership inference with difficulty calibration (Watson et al., ICLR 2022).
# This file only wires the stages together; the logic lives in src/diffcal.
from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless the user passed --configfile (a merge of both would
# silently add the default datasets to every other config).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/label_only.smk"
include: "workflow/rules/attack.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/ablations.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/audit.smk"
include: "workflow/rules/lm.smk"


rule all:
    default_target: True
    input:
        T.all_outputs(rules),
        T.provenance_files(rules),
