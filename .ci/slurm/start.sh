#!/usr/bin/env bash
# Start a single-node SLURM 22.05 cluster (with accounting through slurmdbd +
# MariaDB, and two fake GPUs) on this machine, as root. Writes the PIDs of what it
# started to $SLURM_CI_DIR/pids so stop.sh can stop them. Used by .ci/run only.
set -euo pipefail
: "${SLURM_CI_DIR:=/tmp/diffcal-slurm}"
mkdir -p "$SLURM_CI_DIR"
export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq slurmctld slurmd slurm-client munge mariadb-server slurmdbd >/dev/null
fi
NODE=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p') - 1024 ))
PIDS="$SLURM_CI_DIR/pids"; : > "$PIDS"

# munge: key, runtime dir, daemon as user munge
[ -s /etc/munge/munge.key ] || (dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null)
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge; chown munge:munge /run/munge /var/log/munge /var/lib/munge
runuser -u munge -- /usr/sbin/munged --force
sleep 1; pgrep -x munged >> "$PIDS"

# MariaDB for slurmdbd (accounting is what makes sacct, the plugin's default status
# check and our job checks work)
mkdir -p /run/mysqld; chown mysql:mysql /run/mysqld
mysqld_safe --skip-networking=0 --bind-address=127.0.0.1 >"$SLURM_CI_DIR/mysqld.log" 2>&1 &
for _ in $(seq 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.5; done
pgrep -f mariadbd >> "$PIDS" || pgrep -f mysqld >> "$PIDS"
mysql -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmci';
          GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
LogFile=$SLURM_CI_DIR/slurmdbd.log
PidFile=$SLURM_CI_DIR/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurmci
StorageLoc=slurm_acct_db
CONF
chmod 600 /etc/slurm/slurmdbd.conf

# fake GPUs: character devices (plain files are refused)
for i in 0 1; do [ -c /dev/fakegpu$i ] || mknod /dev/fakegpu$i c 1 3; done
cat > /etc/slurm/gres.conf <<CONF
NodeName=$NODE Name=gpu File=/dev/fakegpu[0-1]
CONF
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=diffcalci
SlurmctldHost=localhost
AuthType=auth/munge
SlurmUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$SLURM_CI_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_CI_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_CI_DIR/slurmctld.log
SlurmdLogFile=$SLURM_CI_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
JobCompType=jobcomp/none
AccountingStoreFlags=job_comment
MinJobAge=600
ReturnToService=2
GresTypes=gpu
NodeName=$NODE NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmdbd
for _ in $(seq 40); do [ -s "$SLURM_CI_DIR/slurmdbd.pid" ] && break; sleep 0.5; done
cat "$SLURM_CI_DIR/slurmdbd.pid" >> "$PIDS"
sleep 1
sacctmgr -i add cluster diffcalci >/dev/null 2>&1 || true
slurmctld
for _ in $(seq 40); do [ -s "$SLURM_CI_DIR/slurmctld.pid" ] && break; sleep 0.5; done
cat "$SLURM_CI_DIR/slurmctld.pid" >> "$PIDS"
slurmd -N "$NODE"
for _ in $(seq 40); do [ -s "$SLURM_CI_DIR/slurmd.pid" ] && break; sleep 0.5; done
cat "$SLURM_CI_DIR/slurmd.pid" >> "$PIDS"
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break; sleep 0.5; done
sinfo
for _ in $(seq 30); do sacct -n -X >/dev/null 2>&1 && break; sleep 1; done
echo "slurm up: node $NODE, $CPUS CPUs, ${MEM} MB, 2 fake GPUs"
