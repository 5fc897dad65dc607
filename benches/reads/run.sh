#!/usr/bin/env bash
# Reads under load (issue 13, Performance): "my todo" of a member with 30 open tasks
# and one task's detail against /healthz, same server, same run, 64 connections, on
# the data set of the memory bench. See benches/reads.rs for what it does.
#
#   bash benches/reads/run.sh                       # 1,000,000 records
#   ERP_RECORDS=200000 READS_SECONDS=10 bash benches/reads/run.sh
#   READS_PERF=/tmp/todo.perf bash benches/reads/run.sh   # profile the server
#
# Server and client share the machine: on a small, busy box both throughputs are
# lower than on a free one; the ratio is what compares.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Cargo builds the server binary with the bench, in the bench (optimized) profile.
cargo bench --locked --bench reads
