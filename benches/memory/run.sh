#!/usr/bin/env bash
# Resource budget of a running Baton (issue "Trust under fire", Operating it): resident
# memory after an ingest of ERP_RECORDS records that make about TASKS tasks through the
# shipped scenarios, while 64 connections read, and idle; start-up time on that data.
#
#   bash benches/memory/run.sh                  # 1,000,000 records, 1 in 10 makes a task
#   ERP_RECORDS=200000 bash benches/memory/run.sh
#
# Builds the release binary, runs it on a temporary data directory (loopback only) and
# prints RSS (VmRSS now, VmHWM peak since the previous line) from /proc at each stage;
# then a backup of that data taken by the running server, the readers again with a
# second backup taken meanwhile, and the first backup's restore into a new directory
# (peak RSS of the `baton restore` process). Targets: RSS under mixed load
# < 150 MiB with the default cache, start-up < 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."

records="${ERP_RECORDS:-1000000}"
cargo build --release --locked --bin baton
bin="$(pwd)/target/release/baton"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export BATON_ADMIN_PASSWORD=bench-admin-password
start() {
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" serve --data "$work/data" --listen "127.0.0.1:$port" >>"$work/server.log" 2>&1 &
  pid=$!
  until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.01; done
  t1=$(date +%s.%N)
  python3 -c "print(f'start-up: {($t1 - $t0) * 1000:.0f} ms to the first /healthz answer')"
}
rss() {
  local now peak
  now=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  printf '%-44s RSS %6.1f MiB   peak %6.1f MiB\n' "$1" "$(echo "$now/1024" | bc -l)" "$(echo "$peak/1024" | bc -l)"
  # "5" resets VmHWM, so each line's peak is that stage's own
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
}

start
rss "fresh"
python3 benches/memory/load.py "http://127.0.0.1:$port" "$records" ingest
rss "after ingesting $records records"
python3 benches/memory/load.py "http://127.0.0.1:$port" "$records" reads
rss "after 10 s of reads at 64 connections"
sleep 5
rss "idle 5 s later"
du -sh "$work/data/db" | awk '{print "database on disk: " $1}'
"$bin" backup --data "$work/data" --out "$work/backup.jsonl.gz" | cut -c1-60
rss "after a backup (taken by the server)"
# mixed: the readers again, with a second backup taken while they read
python3 benches/memory/load.py "http://127.0.0.1:$port" "$records" reads &
readers=$!
sleep 2
"$bin" backup --data "$work/data" --out "$work/backup2.jsonl.gz" | cut -c1-60
wait "$readers"
rss "reads with a backup taken meanwhile"
rm -f "$work/backup2.jsonl.gz"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
python3 - "$bin" "$work" <<'PY'
import resource, subprocess, sys, time
bin, work = sys.argv[1], sys.argv[2]
t0 = time.time()
subprocess.run([bin, "restore", "--data", f"{work}/restored", f"{work}/backup.jsonl.gz"], check=True, stdout=subprocess.DEVNULL)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"restore of that backup: {time.time() - t0:.0f} s, peak RSS {peak:.1f} MiB")
PY
rm -rf "$work/restored"
start
rss "restarted on that data"
python3 benches/memory/load.py "http://127.0.0.1:$port" "$records" reads
rss "after reads, restarted"
