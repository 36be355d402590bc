# Config validation, wildcard constraints and the config's bindings. No rules here.
# What each rule reads and is given lives in src/diffcal/config (tested without
# Snakemake): T - file lists (targets.py), P - per-job params and optional inputs
# (job_params.py), D - code digests (codedeps.py).
import re
import sys
from pathlib import Path

from diffcal.attacks.plugins import plugin_names
from diffcal.config import checks as dcheck
from diffcal.config import load as dconf
from diffcal.config import views as dview
from diffcal.config import lm_views as dview_lm
from diffcal.config.codedeps import Digests, import_jobs_from
from diffcal.config.job_params import JobParams
from diffcal.config.targets import TABLES, Targets
from diffcal.reporting.provenance import config_digest, git_commit

# The checkout this file belongs to (not the working directory's workflow when this
# workflow is used as a Snakemake module of another).
REPO = Path(str(workflow.current_basedir)).resolve().parents[1]

# Only what came from --config: --configfile values keep the types their file gave them.
dconf.parse_nested_overrides(config, workflow.config_settings.config or {})
# Schema (one-line errors), defaults, registry and cross-field checks: the same path
# as the command-line tools (diffcal.config.load.load_config).
dconf.prepare_config(config, REPO / "workflow/schemas/config.schema.yaml")
for warning in dcheck.config_warnings(config):
    print(f"WARNING: {warning}", file=sys.stderr)

DATASETS = list(config["datasets"])
PLUGINS = plugin_names(config["attack"]["extra"])
VARIANTS = sorted({v for ds in config["datasets"].values() for v in ds["variants"]})
SRC = REPO / "src"
# Jobs import the library from this checkout (the code the digests cover), also
# when the workflow runs as a module of another one or in a conda environment.
import_jobs_from(SRC)

T = Targets(config)
P = JobParams(config, T)
D = Digests(config, SRC)
TRAIN_RESOURCES = P.train_resources()
# Job priority: the dataset's declared job runtime (minutes), so that when cores
# are short the jobs of the datasets declared longest start first and the short
# ones fill in (longest-processing-time-first). Without it, the tabular paper rows
# on 2 cores started Adult's training 11 s late, behind Credit's. Also on `prepare`
# and `split`, a dataset's first jobs: without it, config/ablations.yaml's MNIST
# K = 10 chain (the longest) waited for its split behind Adult's training until 435 s.
longest_first = P.res("runtime")
# What every output folder's provenance.json names (diffcal.reporting.provenance).
COMMIT = git_commit(REPO)
CONFIG_SHA256 = config_digest(config)
ABL = f"results/ablations/{config['name']}"
CMP = f"results/compare/{config['name']}"


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    variant="|".join(map(re.escape, VARIANTS)),
    part=r"\d+(-\d+)?",
    chunk=r"\d+(-\d+)?",
    audit="|".join(map(re.escape, T.audit_names)),
    canary_dir="|".join(dview.CANARY_DIRS.values()),
    lm="|".join(map(re.escape, config["language_models"])) or "(?!)",
    lm_audit="|".join(map(re.escape, config["lm_audits"])) or "(?!)",
    model=dview_lm.MODEL_PATTERN,
