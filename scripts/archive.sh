#!/usr/bin/env bash
# Packs one release archive and prints its path:
#   scripts/archive.sh TARGET BINARY OUTDIR
# writes OUTDIR/dbctl-VERSION-TARGET.tar.gz (.zip for a Windows target) holding the directory
# dbctl-VERSION-TARGET/ with the binary and README.md: the names cargo binstall
# ([package.metadata.binstall] in Cargo.toml) and action.yml (scripts/install.sh) look for.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 3 ]; then
  echo "usage: scripts/archive.sh TARGET BINARY OUTDIR" >&2
  exit 2
fi
target=$1 binary=$2 out=$3
# The package's own version: the first `version = "..."` line of Cargo.toml, under [package].
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
name="dbctl-$version-$target"

mkdir -p "$out"
rm -rf "${out:?}/$name"
mkdir "$out/$name"
cp "$binary" README.md "$out/$name/"
case $target in
  *windows*)
    (cd "$out" && 7z a -tzip -bso0 "$name.zip" "$name")
    archive="$out/$name.zip"
    ;;
  *)
    tar -czf "$out/$name.tar.gz" -C "$out" "$name"
    archive="$out/$name.tar.gz"
    ;;
esac
rm -rf "${out:?}/$name"
echo "$archive"
