#!/usr/bin/env bash
# Lighthouse (simulated mobile: Moto G Power-class CPU, slow 4G) over Baton's login,
# home, task and project pages, on the demo company (issue 18). Prints, per page, the
# performance score, Cumulative Layout Shift and bytes transferred (first load, empty
# cache). Targets: performance >= 90, CLS < 0.1, login under 150 KiB.
#
#   bash benches/lighthouse/run.sh                          # builds target/release/baton
#   BATON_BIN=target/debug/baton bash benches/lighthouse/run.sh   # an existing binary
#   RUNS=3 bash benches/lighthouse/run.sh                   # median of 3 runs per page
#
# Needs node (>= 18.16), npm and the Debian `chromium` package (CHROMIUM to override);
# installs the pinned `lighthouse` from package-lock.json on first use. Everything runs
# on 127.0.0.1; the demo's data directory is temporary. Reports: $OUT (default: a temp
# directory) holds each run's JSON.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

runs="${RUNS:-1}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ -n "${BATON_BIN:-}" ]; then
  bin="$(realpath "$BATON_BIN")"
else
  cargo build --release --locked --bin baton
  bin="$(pwd)/target/release/baton"
fi
[ -d "$here/node_modules/lighthouse" ] || (cd "$here" && npm ci --no-audit --no-fund)

work="$(mktemp -d)"
out="${OUT:-$work/reports}"
mkdir -p "$out"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work/data"
  [ -n "${OUT:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export BATON_ADMIN_PASSWORD=bench-admin-password
mkdir -p "$work/data"
"$bin" demo --data "$work/data" --yes --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { cat "$work/server.log"; exit 1; }

# Log in as the demo's company admin; find a project with tasks and its newest task.
read -r cookie project task < <(python3 - "$base" <<'PY'
import http.cookiejar, json, os, sys, urllib.request
base = sys.argv[1]
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
body = json.dumps({"username": "admin", "password": os.environ["BATON_ADMIN_PASSWORD"]}).encode()
op.open(urllib.request.Request(f"{base}/api/login", body, {"Content-Type": "application/json"}))
get = lambda p: json.load(op.open(f"{base}{p}"))
best = None
for p in get("/api/projects")["items"]:
    tasks = get(f"/api/projects/{p['id']}/tasks?status=all")
    if tasks["items"] and (best is None or tasks["total"] > best[1]):
        best = (p["id"], tasks["total"], tasks["items"][0]["id"])
cookie = next(c for c in jar if c.name == "baton_session")
print(f"{cookie.name}={cookie.value}", best[0], best[2])
PY
)

# The first request for each asset compresses it (once per process): do that now, so
# the runs measure serving, not the one-off compression.
for path in / /login "/projects/$project" "/tasks/$task"; do
  curl -fsS -H 'Accept-Encoding: br, gzip' "$base$path" -o /dev/null
done
python3 - "$base" <<'PY'
import json, re, sys, urllib.request
base = sys.argv[1]
page = urllib.request.urlopen(f"{base}/").read().decode()
m = re.search(r'<script type="importmap">(.*?)</script>', page)
for url in json.loads(m.group(1))["imports"].values():
    urllib.request.urlopen(urllib.request.Request(base + url, headers={"Accept-Encoding": "br, gzip"})).read()
PY

lighthouse() {
  local name="$1" url="$2" headers="$3" i
  for i in $(seq 1 "$runs"); do
    CHROME_PATH="$chromium" node "$here/node_modules/lighthouse/cli/index.js" "$url" \
      --quiet --only-categories=performance --output=json --output-path="$out/$name-$i.json" \
      --extra-headers="$headers" --max-wait-for-load=60000 \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
  done
}

lighthouse login "$base/login" '{}'
auth="{\"Cookie\": \"$cookie\"}"
lighthouse home "$base/" "$auth"
lighthouse task "$base/tasks/$task" "$auth"
lighthouse project "$base/projects/$project" "$auth"

echo "Lighthouse $(node -p "require('$here/node_modules/lighthouse/package.json').version"), simulated mobile; $("$bin" --version); median of $runs run(s); reports in $out"
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
print(f"{'page':<8} {'perf':>5} {'CLS':>6} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} {'KiB':>7} {'requests':>8}")
for name in ["login", "home", "task", "project"]:
    rows = []
    for i in range(1, runs + 1):
        r = json.load(open(f"{out}/{name}-{i}.json"))
        a = r["audits"]
        rows.append((
            round((r["categories"]["performance"]["score"] or 0) * 100),
            a["cumulative-layout-shift"]["numericValue"],
            a["first-contentful-paint"]["numericValue"],
            a["largest-contentful-paint"]["numericValue"],
            a["total-blocking-time"]["numericValue"],
            a["total-byte-weight"]["numericValue"] / 1024,
            len(a["network-requests"]["details"]["items"]),
        ))
    m = [statistics.median(c) for c in zip(*rows)]
    print(f"{name:<8} {m[0]:>5.0f} {m[1]:>6.3f} {m[2]:>7.0f} {m[3]:>7.0f} {m[4]:>7.0f} {m[5]:>7.1f} {m[6]:>8.0f}")
PY
