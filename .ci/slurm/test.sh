#!/usr/bin/env bash
# Run the workflow through SLURM with the test profile and check what happened:
# 1. every non-local job ran as a COMPLETED SLURM job with its rule's resources
#    (one dataset's jobs request a GPU);
# 2. a second invocation submits nothing;
# 3. a training job killed with scancel mid-run is retried, and the final results
#    are byte-identical to the uninterrupted run.
# Between 1 and 2: digits' LiRA / RMIA pool trained as 4 SLURM jobs of 2 models
# (models_per_job) gives the same bytes as the whole pool in one local job.
# The config's `patients` dataset is an audit (docs/audit.md walkthrough (a): your
# CSV and your model file): its jobs run through SLURM too and it writes its report.
# Needs a running cluster (.ci/slurm/start.sh) and the project venv in .venv.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY="$REPO/.venv/bin"
WORK=$(mktemp -d)
# The short form users type (README): the profile installed under the name "slurm"
# by the README's command, into a private XDG config dir (never the user's own).
export XDG_CONFIG_HOME="$WORK/xdg"
mkdir -p "${XDG_CONFIG_HOME:-$HOME/.config}/snakemake" && ln -sfn "$REPO/.ci/slurm/profile" "${XDG_CONFIG_HOME:-$HOME/.config}/snakemake/slurm"
CFG=(--profile slurm --configfile tests/data/slurm.yaml)
t0=$(date +%s)

copy() {
  mkdir -p "$1"
  (cd "$REPO" && cp -r Snakefile workflow config src envs profiles examples --parents tests/data \
     --parents .ci/slurm/profile "$1")
  (cd "$1" && "$PY/python" examples/audit_csv.py > /dev/null)  # the audit's CSV
}
smk() { (cd "$1" && timeout -k 10 "$2" "$PY/snakemake" all "${CFG[@]}" > "$3" 2>&1); }

echo "== SLURM 1/3: run through the profile"
copy "$WORK/a"
(cd "$WORK/a" && "$PY/snakemake" -n "${CFG[@]}" > "$WORK/plan.txt" 2>&1)
expected=$(awk '/^Job stats/{f=1} f && /^total/{exit} f && $1 ~ /^(train_base|train_scratch|tune_forget|train_forget|score|train_pool|score_pool|compare_attack)$/ {n+=$2} END{print n}' "$WORK/plan.txt")
echo "planned SLURM jobs: $expected"
since=$(date +%Y-%m-%dT%H:%M:%S)
smk "$WORK/a" 400 "$WORK/a.log" || { tail -50 "$WORK/a.log"; exit 1; }
"$PY/python" "$REPO/.ci/slurm/check_jobs.py" "$since" "$REPO/tests/data/slurm.yaml" "$expected"
grep -h "CUDA_VISIBLE_DEVICES" "$WORK"/a/logs/digits/plain/split0/train_base.log
grep -q "CUDA_VISIBLE_DEVICES=[0-9]" "$WORK"/a/logs/digits/plain/split0/train_base.log
grep -q "SLURM_JOB_ID=[0-9]" "$WORK"/a/logs/patients/plain/split0/train_scratch0-1.log
grep -q "Members most at risk" "$WORK/a/results/audit/patients/report.md"
echo "ok: the audit dataset's jobs ran through SLURM and wrote results/audit/patients/"

n_pool=$(sacct -X -n -P -S "$since" -o Comment | grep -c '^rule_train_pool_' || true)
[ "$n_pool" -eq 4 ] || { echo "expected 4 train_pool SLURM jobs (8 models, 2 per job), got $n_pool"; exit 1; }
echo "ok: the pool of 8 trained as $n_pool SLURM jobs"
# The same pool in one job, on this machine (no SLURM): the same bytes downstream.
cp -a "$WORK/a" "$WORK/c"
sed -i 's/^    models_per_job: 2$/    models_per_job: null/' "$WORK/c/tests/data/slurm.yaml"
(cd "$WORK/c" && timeout -k 10 300 "$PY/snakemake" all --cores 2 --configfile tests/data/slurm.yaml \
   > "$WORK/c.log" 2>&1) || { tail -50 "$WORK/c.log"; exit 1; }
POOL=results/digits/plain/split0/pool
[ -s "$WORK/c/$POOL/models0-7.pt" ] || { echo "the unchunked pool was not trained"; exit 1; }
for f in membership.parquet pool_scores.parquet compare_scores.parquet compare_metrics.csv; do
  cmp "$WORK/a/$POOL/$f" "$WORK/c/$POOL/$f" || { echo "chunked and unchunked pools differ: $f"; exit 1; }
done
echo "ok: the chunked pool's scores and metrics equal the unchunked local run's byte for byte"
rm -rf "$WORK/c"

echo "== SLURM 2/3: a second invocation submits nothing"
since2=$(date +%Y-%m-%dT%H:%M:%S)
smk "$WORK/a" 120 "$WORK/a2.log"
grep -q "Nothing to be done" "$WORK/a2.log"
n=$(sacct -X -n -S "$since2" -o JobID | wc -l)
[ "$n" -eq 0 ] || { echo "second invocation submitted $n jobs"; exit 1; }
echo "ok: nothing submitted"

echo "== SLURM 3/3: scancel a training job mid-run; the run must recover"
# Start from the finished run minus one training output and what was made from it,
# so that only that job and its dependants run again; scancel it while it runs.
cp -a "$WORK/a" "$WORK/b"
(cd "$WORK/b/results" && rm -r digits/plain/split0/models/scratch0.pt \
  digits/plain/split0/scores.parquet digits/plain/split0/attack_scores.parquet \
  digits/plain/split0/metrics.csv figures/digits tables/slurm)
since3=$(date +%Y-%m-%dT%H:%M:%S)
smk "$WORK/b" 400 "$WORK/b.log" &
smk_pid=$!
killed=""
for _ in $(seq 900); do
  killed=$(squeue -h -t RUNNING -o "%i %k" | awk '$2 ~ /^rule_train_scratch/ {print $1; exit}')
  [ -n "$killed" ] && break
  sleep 0.2
done
[ -n "$killed" ] || { echo "no running training job seen"; exit 1; }
scancel "$killed"; echo "cancelled SLURM job $killed"
if ! wait "$smk_pid"; then
  echo "the run failed; rerunning the same command"
  smk "$WORK/b" 400 "$WORK/b2.log"
fi
sacct -X -n -S "$since3" -o JobID,State,Comment%50
grep -q "Error in rule train_scratch" "$WORK/b.log"  # the cancellation was seen
[ -s "$WORK/b/results/digits/plain/split0/models/scratch0.pt" ]
for f in $(cd "$WORK/a/results" && find . -name '*.parquet' -o -name '*.csv' -o -name '*.md'); do
  cmp -s "$WORK/a/results/$f" "$WORK/b/results/$f" || { echo "differs: $f"; exit 1; }
done
echo "ok: results after the cancelled job equal the uninterrupted run"

echo "== SLURM stage: $(( $(date +%s) - t0 )) s, $(sacct -X -n -S "$since" -o JobID | wc -l) SLURM jobs"
rm -rf "$WORK"
