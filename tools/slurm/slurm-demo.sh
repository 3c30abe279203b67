#!/bin/bash
# make slurm-demo: df11 batch as a job array on a real one-node Slurm cluster on this machine.
#
# Installs slurm-wlm and munge from Debian if missing, starts munged (unless one runs), slurmctld and slurmd
# with a configuration of its own (SLURM_CONF under the demo directory: /etc/slurm is not touched), builds a
# Hugging Face cache from the bundled fixtures plus a generated collection, submits the documented job array
# (tools/slurm/df11-batch.sbatch, 3 tasks) over it, runs the same batch unsharded, and checks that the merged
# sharded output tree is byte for byte the unsharded one and that every checkpoint was taken exactly once.
# Stops the daemons it started (by their process ids) on exit. Needs root (it starts the daemons as root).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DF11=${DF11:-$ROOT/.build/release/df11}
DEMO=${SLURM_DEMO_DIR:-$ROOT/.build/slurm-demo}
GENERATED=${SLURM_DEMO_GENERATED:-4}
HOST=$(hostname -s)
STARTED=()

say() { echo "slurm-demo: $*"; }
cleanup() {
    for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${STARTED[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    [ ${#STARTED[@]} -eq 0 ] || say "stopped the daemons it started (pids ${STARTED[*]})"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { say "needs root (starts munged, slurmctld, slurmd)"; exit 2; }
[ -x "$DF11" ] || { say "no df11 at $DF11 (make build)"; exit 2; }
missing=""
for p in slurm-wlm munge; do dpkg -s $p >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    say "installing$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

rm -rf "$DEMO" && mkdir -p "$DEMO"/{state,spool,log}
export SLURM_CONF=$DEMO/slurm.conf
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
cat > "$SLURM_CONF" <<CONF
ClusterName=df11demo
SlurmctldHost=$HOST
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$DEMO/state
SlurmdSpoolDir=$DEMO/spool
SlurmctldPidFile=$DEMO/slurmctld.pid
SlurmdPidFile=$DEMO/slurmd.pid
SlurmctldLogFile=$DEMO/log/slurmctld.log
SlurmdLogFile=$DEMO/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
NodeName=$HOST CPUs=$(nproc) RealMemory=$MEM State=UNKNOWN
PartitionName=demo Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a key, and a daemon (one already running is used, not stopped).
[ -s /etc/munge/munge.key ] || mungekey -c
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
    munged --force 2>/dev/null || munged
    sleep 0.5
    pid=$(cat /run/munge/munged.pid 2>/dev/null || pgrep -n -x munged)
    STARTED+=("$pid")
    say "started munged (pid $pid)"
fi
munge -n | unmunge | grep -q Success || { say "munge does not work"; exit 2; }

slurmctld -f "$SLURM_CONF"
for _ in $(seq 50); do [ -s "$DEMO/slurmctld.pid" ] && break; sleep 0.1; done
STARTED+=("$(cat "$DEMO/slurmctld.pid")")
slurmd -f "$SLURM_CONF"
for _ in $(seq 50); do [ -s "$DEMO/slurmd.pid" ] && break; sleep 0.1; done
STARTED+=("$(cat "$DEMO/slurmd.pid")")
say "started slurmctld (pid ${STARTED[-2]}) and slurmd (pid ${STARTED[-1]})"
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 0.2; done
sinfo

say "building the collection: bundled fixtures + $GENERATED generated checkpoints, as a hub cache"
python3 "$ROOT/tools/batch/make_hub_cache.py" "$DEMO/hub" --generated "$GENERATED" --size-gb 0.02

say "submitting the job array (tools/slurm/df11-batch.sbatch)"
cd "$DEMO"
set +e
sbatch --wait --export=ALL,DF11="$DF11",OUT="$DEMO/sharded" "$ROOT/tools/slurm/df11-batch.sbatch" "$DEMO/hub"
array_status=$?
set -e
say "job array finished (sbatch --wait: $array_status; 1 is expected: acme/broken is malformed)"
for log in "$DEMO"/df11-batch-*.log; do echo "--- $(basename "$log")"; cat "$log"; done

say "the same batch unsharded"
set +e
"$DF11" batch "$DEMO/hub" -o "$DEMO/whole" --report "$DEMO/whole-report.jsonl"
whole_status=$?
set -e

python3 - "$DEMO" "$whole_status" <<'PY'
import json, os, sys, filecmp
demo, whole_status = sys.argv[1], int(sys.argv[2])
def tree(root, skip):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), root)
            if not rel.startswith(skip):
                out[rel] = open(os.path.join(d, f), "rb").read()
    return out
sharded, whole = tree(os.path.join(demo, "sharded"), "reports"), tree(os.path.join(demo, "whole"), "reports")
taken = {}
for name in sorted(os.listdir(os.path.join(demo, "sharded", "reports"))):
    lines = [json.loads(l) for l in open(os.path.join(demo, "sharded", "reports", name))]
    summary = lines[-1]
    print("slurm-demo: %s: shard %s (%s): %s" % (name, summary["shard"], summary["shard_source"],
          ", ".join("%s %d" % (k, summary[k]) for k in ("converted", "unchanged", "skipped", "failed") if summary[k])))
    for l in lines[:-1]:
        taken.setdefault(l["name"], []).append(summary["shard"])
        print("    %-22s %-9s %-8s %s" % (l["name"], l["status"], l["format"] or "", l["error"] or ""))
whole_lines = [json.loads(l) for l in open(os.path.join(demo, "whole-report.jsonl"))]
problems = []
if any(len(v) != 1 for v in taken.values()): problems.append("a checkpoint taken by several shards: %s" % taken)
if sorted(taken) != sorted(l["name"] for l in whole_lines[:-1]): problems.append("shards did not cover the batch")
if sharded != whole:
    diff = sorted(set(sharded) ^ set(whole)) + sorted(k for k in set(sharded) & set(whole) if sharded[k] != whole[k])
    problems.append("outputs differ: %s" % diff[:10])
print("slurm-demo: %d checkpoints, each in exactly one of %d shards; %d output files, sharded == unsharded: %s"
      % (len(taken), len(os.listdir(os.path.join(demo, "sharded", "reports"))), len(whole), sharded == whole))
if problems:
    print("slurm-demo: FAILED: " + "; ".join(problems)); sys.exit(1)
print("slurm-demo: OK")
PY
