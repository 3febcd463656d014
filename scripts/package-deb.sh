#!/usr/bin/env bash
# Builds the Debian package and prints its path: the release binary, then the man page and the
# bash, zsh and fish completions that binary writes from its own command tree (into
# target/assets/; none is kept in the repository), then `cargo deb` around them
# ([package.metadata.deb] in Cargo.toml lists where each file goes).
# Needs cargo-deb: `cargo install cargo-deb --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked >&2
binary="${CARGO_TARGET_DIR:-target}/release/dbctl"

assets=target/assets
rm -rf "$assets"
mkdir -p "$assets"
# `completions` offers the profiles configured where it runs: an empty environment and an
# empty home, so no profile name of the machine that builds the package gets into it.
empty_home=$(mktemp -d)
trap 'rm -rf "$empty_home"' EXIT
generate() {
  env -i HOME="$empty_home" XDG_CONFIG_HOME="$empty_home/.config" "$binary" "$@"
}
generate completions bash >"$assets/dbctl.bash"
generate completions zsh >"$assets/_dbctl"
generate completions fish >"$assets/dbctl.fish"
generate man >"$assets/dbctl.1"

# cargo-deb prints the path of the package it wrote on stdout.
cargo deb --no-build --quiet
