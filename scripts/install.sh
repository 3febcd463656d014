#!/usr/bin/env bash
# Installs a released dbctl on a GitHub Actions runner (the composite action, action.yml):
# downloads the release archive for the runner's OS and architecture and the release's
# SHA256SUMS, refuses an archive whose SHA-256 differs, unpacks it into the tool cache and adds
# that directory to GITHUB_PATH.
#   DBCTL_VERSION     0.1.0, v0.1.0 or latest (default)
#   DBCTL_REPOSITORY  owner/name of the releases; default: the repository of the action
#   GITHUB_TOKEN      optional; sent only to the API that names the latest release
# DBCTL_GITHUB_URL and DBCTL_GITHUB_API replace https://github.com and https://api.github.com
# (tests).
set -euo pipefail

fail() {
  echo "::error title=install dbctl::$*" >&2
  exit 1
}

web=${DBCTL_GITHUB_URL:-https://github.com}
api=${DBCTL_GITHUB_API:-https://api.github.com}

repo=${DBCTL_REPOSITORY:-}
if [ -z "$repo" ]; then
  # An action used as `owner/name@ref` is checked out under .../_actions/owner/name/ref.
  repo=$(sed -n 's#.*[/\\]_actions[/\\]\([^/\\]*\)[/\\]\([^/\\]*\)[/\\].*#\1/\2#p' <<<"${GITHUB_ACTION_PATH:-}")
  repo=${repo:-${GITHUB_REPOSITORY:-}}
fi
[[ $repo =~ ^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$ && ${repo#*/} != . && ${repo#*/} != .. ]] ||
  fail "repository '$repo' is not owner/name"

# Linux gets the static (musl) build: it runs on any distribution and in any job container.
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) fail "no dbctl release archive for $os/$arch" ;;
esac

version=${DBCTL_VERSION:-latest}
if [ "$version" = latest ]; then
  url="$api/repos/$repo/releases/latest"
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    release=$(curl -fsSL --retry 3 -H "Authorization: Bearer $GITHUB_TOKEN" "$url") ||
      fail "cannot read the latest release of $repo"
  else
    release=$(curl -fsSL --retry 3 "$url") || fail "cannot read the latest release of $repo"
  fi
  version=$(tr ',' '\n' <<<"$release" | sed -n 's/.*"tag_name": *"\([^"]*\)".*/\1/p' | head -n 1)
fi
version=${version#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
  fail "version '$version' is not a release version (like 0.1.0) or latest"

name="dbctl-$version-$target"
case $target in
  *windows*) archive="$name.zip" exe=dbctl.exe ;;
  *) archive="$name.tar.gz" exe=dbctl ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base="$web/$repo/releases/download/v$version"
curl -fsSL --retry 3 -o "$work/SHA256SUMS" "$base/SHA256SUMS" ||
  fail "cannot download SHA256SUMS of $repo v$version"
curl -fsSL --retry 3 -o "$work/$archive" "$base/$archive" ||
  fail "cannot download $archive of $repo v$version"

expected=$(awk -v file="$archive" '$2 == file || $2 == "*" file { print $1 }' "$work/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS of v$version lists no $archive"
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$work/$archive" | cut -d ' ' -f 1)
else
  actual=$(shasum -a 256 "$work/$archive" | cut -d ' ' -f 1)
fi
[ "$actual" = "$expected" ] ||
  fail "$archive has SHA-256 $actual, but SHA256SUMS of v$version says $expected: not installed"

case $archive in
  *.zip) unzip -q "$work/$archive" -d "$work" ;;
  *) tar -xzf "$work/$archive" -C "$work" ;;
esac
[ -f "$work/$name/$exe" ] || fail "$archive holds no $name/$exe"

cache=${RUNNER_TOOL_CACHE:-${HOME:?}/.cache}
if command -v cygpath >/dev/null 2>&1; then cache=$(cygpath -u "$cache"); fi
dir="$cache/dbctl/$version/$target"
mkdir -p "$dir"
mv -f "$work/$name/$exe" "$dir/$exe"
chmod +x "$dir/$exe"
"$dir/$exe" --version >/dev/null || fail "the installed $dir/$exe does not run on this runner"

path_entry=$dir
if command -v cygpath >/dev/null 2>&1; then path_entry=$(cygpath -w "$dir"); fi
if [ -n "${GITHUB_PATH:-}" ]; then echo "$path_entry" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "version=$version" >>"$GITHUB_OUTPUT"; fi
echo "dbctl $version ($target) installed in $dir"
