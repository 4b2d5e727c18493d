#!/usr/bin/env bash
# Agent-engine benchmark for `pincer gateway` (benches/engine.rs): chat turns through
# POST /v1/chat/completions against an emulated OpenAI provider running in the benchmark process.
#
# Measures, on a release (bench-profile) build:
#   - turns/s and p50/p90/p99 latency at concurrency 1 (5,000 turns) and 64 (20,000 turns) over
#     1,000 sessions taken round robin, after 1,000 warm-up turns; each client thread has its own
#     keep-alive HTTP/1.1 connection; target: >= 2,000 turns/s at c=64;
#   - added latency: gateway p50/p99 at c=1 minus that of the same request sent straight to the
#     emulator; target: p99 added < 5 ms;
#   - gateway CPU time per turn during the c=64 run (utime+stime from /proc/<pid>/stat);
#   - memory per idle session: VmRSS growth of a fresh gateway after one turn to each of 10,000
#     new sessions, divided by 10,000, with the live session actors from /admin/actors;
#     target: < 8 KB per session.
#
# Usage: scripts/bench-engine.sh [--quick] [--json] [--check]
# (arguments go to the benchmark; --quick runs a tenth of the turns and 2,000 memory sessions;
# --check exits 1 when a target is missed). A failed turn (non-200, wrong answer, I/O error,
# timeout) stops it with exit 1, the failures counted by kind and the gateway's stderr tail.
# Linux only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --bench engine -- "$@"
