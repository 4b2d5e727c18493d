#!/usr/bin/env bash
# Start-up and idle-footprint benchmark for `pincer gateway` (benches/startup.rs).
#
# Measures, on a release (bench-profile) build:
#   - exec -> first HTTP 200 on GET /healthz: min / median / p90 / max over
#     --runs N start-ups (default 20), each with a fresh PINCER_HOME and port;
#     target: median under 20 ms;
#   - idle footprint of one gateway left alone for --idle-secs N (default 10):
#     VmRSS, VmHWM and thread count from /proc; target: RSS under 10 MiB;
#   - the size of the pincer binary.
#
# Usage: scripts/bench-startup.sh [--runs N] [--warmup N] [--idle-secs N] [--json] [--check]
# (arguments go to the benchmark; --check exits 1 when a target is missed). Linux only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --bench startup -- "$@"
