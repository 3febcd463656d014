#!/usr/bin/env bash
# Checks the Debian package as a user gets it: its file list, then, unpacked into a scratch
# root (target/deb-root), the installed binary, man page and completion scripts.
#   scripts/check-deb.sh             build it with scripts/package-deb.sh, then check it
#   scripts/check-deb.sh PATH.deb    check a package built before
# The build runs with a profile configured (DBCTL_CONFIG): the packaged completions must not
# name it.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "check-deb: $*" >&2
  exit 1
}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

probe="probe-profile-b7e1"
printf '[profiles.%s]\nprovider = "upstash"\nemail = "probe@example.com"\napi_key_env = "PROBE_KEY"\n' \
  "$probe" >"$scratch/config.toml"
chmod 600 "$scratch/config.toml"

if [ $# -gt 0 ]; then
  deb=$1
else
  deb=$(DBCTL_CONFIG="$scratch/config.toml" scripts/package-deb.sh)
  # The probe is visible where package-deb.sh ran, so its absence below means something.
  DBCTL_CONFIG="$scratch/config.toml" "${CARGO_TARGET_DIR:-target}/release/dbctl" completions bash |
    grep -c "$probe" >/dev/null || fail "completions do not offer the configured profile $probe"
fi
[ -f "$deb" ] || fail "no package at $deb"
echo "package: $deb ($(stat -c %s "$deb") bytes)"

# Exactly these files, nothing more.
expected="./usr/bin/dbctl
./usr/share/bash-completion/completions/dbctl
./usr/share/doc/dbctl/README.md
./usr/share/doc/dbctl/copyright
./usr/share/fish/vendor_completions.d/dbctl.fish
./usr/share/man/man1/dbctl.1.gz
./usr/share/zsh/vendor-completions/_dbctl"
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort)
[ "$files" = "$expected" ] || fail "package files differ from the expected list:
$(diff <(echo "$expected") <(echo "$files") || true)"

root=target/deb-root
rm -rf "$root"
dpkg -x "$deb" "$root"
dbctl="$root/usr/bin/dbctl"

# The binary runs, says the package's version, and does its main job.
version=$(dpkg-deb -f "$deb" Version)
[ "$("$dbctl" --version)" = "dbctl ${version%-*}" ] ||
  fail "--version says '$("$dbctl" --version)', the package is $version"
env -i HOME="$scratch" "$dbctl" --demo db list >"$scratch/list" || fail "--demo db list failed"
grep -q "sessions-cache" "$scratch/list" || fail "--demo db list shows no demo database"

# The man page: gzipped roff titled dbctl(1); rendered without a warning where groff exists.
man_page="$root/usr/share/man/man1/dbctl.1.gz"
# `grep -c`, not `grep -q`, after a pipe: -q stops reading at the first match, the writer
# dies of SIGPIPE, and pipefail fails the check on a man page that is right.
zcat "$man_page" | grep -c '^\.TH dbctl 1 ' >/dev/null || fail "the man page has no .TH dbctl 1 line"
if command -v groff >/dev/null 2>&1; then
  warnings=$(zcat "$man_page" | groff -man -Tutf8 -ww -z 2>&1)
  [ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
  zcat "$man_page" | groff -man -Tutf8 -P -cbou 2>/dev/null | grep -c "^EXIT STATUS" >/dev/null ||
    fail "the rendered man page has no EXIT STATUS section"
else
  echo "groff not installed: the man page was checked as text only"
fi

# bash: sourcing the script defines the completion, and it completes a subcommand.
completed=$(bash -c '
  source "$1"
  complete -p dbctl
  COMP_WORDS=(dbctl db li); COMP_CWORD=2; COMP_LINE="dbctl db li"; COMP_POINT=${#COMP_LINE}
  _dbctl dbctl li db
  printf "%s\n" "${COMPREPLY[@]}"' _ "$root/usr/share/bash-completion/completions/dbctl")
grep -q -- "-F _dbctl dbctl$" <<<"$completed" || fail "sourcing the bash script defines no completion: $completed"
grep -qx "list" <<<"$completed" || fail "bash completes 'dbctl db li' to: $completed"
# zsh and fish: their scripts parse, where the shell is installed.
parses() {
  if command -v "$1" >/dev/null 2>&1; then "$1" -n "$2" || fail "$1 rejects $2"; fi
}
parses zsh "$root/usr/share/zsh/vendor-completions/_dbctl"
parses fish "$root/usr/share/fish/vendor_completions.d/dbctl.fish"
for script in bash-completion/completions/dbctl zsh/vendor-completions/_dbctl fish/vendor_completions.d/dbctl.fish; do
  if grep -q "$probe" "$root/usr/share/$script"; then
    fail "$script names the profile $probe of the machine that built it"
  fi
done

echo "check-deb: ok ($(wc -l <<<"$files") files)"
