#!/usr/bin/env bash
# API fuzzing: schemathesis against a real `baton serve` on a temporary data dir, as a
# member and as the company admin. Fails on any 5xx or any response that does not
# match the OpenAPI document. Installs schemathesis into a venv under the cargo target
# dir on first use. See tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

ST_VERSION=4.32.5
# Absolute: fuzz.py runs schemathesis from a temporary working directory.
target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
venv="$target/fuzz/venv"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "== installing schemathesis $ST_VERSION into $venv"
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian splits venv support out of python3.
    if [ "$(id -u)" != 0 ]; then
      echo "error: python3 venv support is missing; install it (sudo apt-get install python3-venv) and run again" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

cargo build --locked --bin baton
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export BATON_ADMIN_PASSWORD=fuzz-admin-password
"$target/debug/baton" serve --data "$work/data" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("error: baton did not answer /healthz within 30 s")
PY

status=0
python3 tests/fuzz/fuzz.py "http://127.0.0.1:$port" "$venv/bin/st" "$work" || status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "error: the server panicked during the fuzz run:" >&2
  grep -B2 -A8 "panicked" "$work/server.log" >&2
  status=1
fi
if [ "$status" != 0 ]; then
  echo "== last lines of the server log" >&2
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"
