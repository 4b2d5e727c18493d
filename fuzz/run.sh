#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS_PER_TARGET each (default 240), one after
# the other, on one core: new inputs go to a scratch corpus (<target dir>/corpus-work/<target>),
# seeded from the committed fuzz/corpus/<target>; crashes go to fuzz/artifacts/<target>/; JSON and
# SSE targets get the dictionaries in fuzz/dicts/. Prints libFuzzer's final stats per target into
# fuzz/logs/. Needs nightly and cargo-fuzz (see fuzz/README.md). Not run by CI (too slow).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${SECONDS_PER_TARGET:-240}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(whatsapp_webhook telegram_update ws_frame sse_openai sse_anthropic config journal_reader)
fi
work="${CARGO_TARGET_DIR:-fuzz/target}/corpus-work"
for target in "${targets[@]}"; do
    mkdir -p "$work/$target" "fuzz/logs"
    log="fuzz/logs/$target.log"
    echo "== $target (${seconds}s)"
    dict="$work/$target.dict"
    case "$target" in
        sse_*) cat fuzz/dicts/sse.dict fuzz/dicts/json.dict >"$dict" ;;
        journal_reader) : >"$dict" ;;
        *) cp fuzz/dicts/json.dict "$dict" ;;
    esac
    dict_flag=()
    if [ -s "$dict" ]; then dict_flag=(-dict="$dict"); fi
    status=0
    cargo +nightly fuzz run -s none -a "$target" "$work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dict_flag[@]}" \
        >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|Done [0-9]+ runs)' "$log" || true
    if [ "$status" -ne 0 ]; then
        echo "!! $target failed (exit $status); see $log"
        grep -E 'panicked|ERROR|Test unit written' "$log" | head -5 || true
    fi
done
