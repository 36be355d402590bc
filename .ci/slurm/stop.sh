#!/usr/bin/env bash
# Stop what start.sh started, by PID (no systemd here).
: "${SLURM_CI_DIR:=/tmp/diffcal-slurm}"
[ -f "$SLURM_CI_DIR/pids" ] || exit 0
scancel --user=root >/dev/null 2>&1 || true
tac "$SLURM_CI_DIR/pids" | while read -r pid; do kill "$pid" 2>/dev/null || true; done
mysqladmin shutdown >/dev/null 2>&1 || true
sleep 1
rm -f "$SLURM_CI_DIR/pids"
