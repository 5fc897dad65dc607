#!/usr/bin/env bash
# The kill loop at length: 200 SIGKILLs of a real `baton serve` while clients write
# through the API, every acknowledged write read back after each restart (the test
# suite runs 20). Prints the seed; BATON_KILL_SEED=N replays a run's random choices.
#   bash tests/kill-loop.sh            # 200 kills
#   BATON_KILL_CYCLES=1000 bash tests/kill-loop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export BATON_KILL_CYCLES="${BATON_KILL_CYCLES:-200}"
exec cargo test --locked --test it kill_loop::acknowledged_writes_survive_sigkill -- --exact --nocapture
