#!/usr/bin/env bash
# Builds Pincer's release binary and installs it as <prefix>/bin/pincer (default prefix ~/.local).
# Checks the Rust toolchain first and says what is missing and how to get it. Safe to run again:
# it rebuilds what changed and replaces the binary atomically (a running gateway keeps its copy).
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/install.sh [--prefix DIR] [--help]

Builds the release binary of Pincer (cargo build --release --locked) and installs it as
DIR/bin/pincer. The default DIR is ~/.local, so the binary lands in ~/.local/bin.

Options:
  --prefix DIR   install into DIR/bin instead of ~/.local/bin
  -h, --help     show this help

Needs Rust (cargo and rustc, at least the version in Cargo.toml's rust-version) and a C compiler
(cc) for the crypto crates. `cargo install --path .` works as well (into ~/.cargo/bin).
After installing: `pincer onboard`.
EOF
}

prefix="${HOME:-}/.local"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix)
            [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
            prefix="$2"
            shift 2
            ;;
        --prefix=*)
            prefix="${1#--prefix=}"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "install.sh: unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
    esac
done
if [ -z "$prefix" ]; then
    echo "install.sh: no HOME to install into; pass --prefix DIR" >&2
    exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# rustup installs into ~/.cargo/bin, which a fresh shell may not have on PATH yet.
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

missing=0
rustup_hint="install Rust with rustup: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
    (then open a new shell, or run: . \"\$HOME/.cargo/env\")"
for tool in cargo rustc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install.sh: $tool is missing: $rustup_hint" >&2
        missing=1
    fi
done
if ! command -v cc >/dev/null 2>&1; then
    echo "install.sh: a C compiler (cc) is missing; the TLS crypto (ring) needs it to build:" >&2
    echo "    Debian/Ubuntu: sudo apt-get install build-essential   Fedora: sudo dnf install gcc" >&2
    echo "    macOS: xcode-select --install" >&2
    missing=1
fi
[ "$missing" = 0 ] || exit 1

# The minimum Rust version, from Cargo.toml's `rust-version = "X.Y"`.
required="$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)"
current="$(rustc --version | awk '{print $2}')"
version_at_least() {
    # $1 >= $2, comparing major.minor.patch numerically.
    local IFS=.
    local -a have=($1) need=($2)
    local i
    for i in 0 1 2; do
        local h="${have[$i]:-0}" n="${need[$i]:-0}"
        h="${h%%[!0-9]*}" n="${n%%[!0-9]*}"
        if [ "${h:-0}" -gt "${n:-0}" ]; then return 0; fi
        if [ "${h:-0}" -lt "${n:-0}" ]; then return 1; fi
    done
    return 0
}
if [ -n "$required" ] && ! version_at_least "$current" "$required"; then
    echo "install.sh: Rust $current is too old; Pincer needs $required or newer." >&2
    if command -v rustup >/dev/null 2>&1; then
        echo "    update it with: rustup update stable" >&2
    else
        echo "    this rustc does not come from rustup (a distribution package?); $rustup_hint" >&2
    fi
    exit 1
fi
echo "== Rust $current (needs $required or newer): ok"

echo "== cargo build --release --locked"
cargo build --release --locked --bin pincer

target_dir="${CARGO_TARGET_DIR:-target}"
built="$target_dir/release/pincer"
if [ ! -x "$built" ]; then
    echo "install.sh: the build finished but $built is not there" >&2
    exit 1
fi

bin_dir="$prefix/bin"
if ! mkdir -p "$bin_dir" 2>/dev/null || [ ! -w "$bin_dir" ]; then
    echo "install.sh: cannot write to $bin_dir; choose a folder you own with --prefix DIR" >&2
    exit 1
fi
dest="$bin_dir/pincer"
if [ -f "$dest" ] && cmp -s "$built" "$dest"; then
    echo "== $dest is already this build: unchanged"
else
    # Copy next to the destination, then rename: never a half-copied binary, and a running
    # gateway keeps the file it started from.
    tmp="$(mktemp "$bin_dir/.pincer.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    cp "$built" "$tmp"
    chmod 755 "$tmp"
    mv -f "$tmp" "$dest"
    trap - EXIT
    echo "== installed $dest ($("$dest" --version))"
fi

case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *)
        echo
        echo "$bin_dir is not on your PATH. Add it, e.g. to ~/.profile or ~/.bashrc:"
        echo "    export PATH=\"$bin_dir:\$PATH\""
        ;;
esac
echo
echo "Next: pincer onboard   (or pincer onboard --install-daemon to run it as a service)"
