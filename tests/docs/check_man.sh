#!/usr/bin/env bash
# Checks a manual page: man -l and groff render it without a single warning, its .Dt matches its
# file name, and (with a program) every option the program's --help lists is in the page.
# usage: check_man.sh <page> [<program>]
set -euo pipefail
page=$1
prog=${2:-}
fail() { echo "FAIL: $page: $*" >&2; exit 1; }
command -v man >/dev/null || fail "man is not installed (scripts/deps.sh installs man-db)"
command -v groff >/dev/null || fail "groff is not installed (scripts/deps.sh installs groff-base)"

warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -E UTF-8 -l "$page" 2>&1 >/dev/null) ||
  fail "man -l failed: $warnings"
[[ -z $warnings ]] || fail "man -l --warnings: $warnings"
warnings=$(groff -mandoc -Tutf8 -ww -z "$page" 2>&1) || fail "groff failed: $warnings"
[[ -z $warnings ]] || fail "groff -ww: $warnings"

base=$(basename "$page")
name=${base%.*} section=${base##*.}
grep -qix "\.Dt ${name} ${section}" "$page" || fail ".Dt does not say ${name^^} ${section}"

if [[ -n $prog ]]; then
  options=$(mktemp)
  trap 'rm -f "$options"' EXIT
  text=$(LC_ALL=C.UTF-8 MANWIDTH=250 man -E UTF-8 -l "$page" 2>/dev/null | col -bx)
  # Every option of --help: the words starting with '-' at the start of its lines, '=...' cut.
  "$prog" --help | grep -E '^ +-' | sed -E 's/   .*//' | tr ' ,/' '\n\n\n' |
    grep -E '^--?[A-Za-z]' | sed -E 's/[=[].*//' | sort -u >"$options"
  missing=()
  while read -r opt; do
    # Joined forms (-DNAME, -Idir): the page shows them as -Dname, -Idir.
    case $opt in -D|-U|-DNAME|-UNAME|-Idir|-Fdir|-any-other-option) continue ;; esac
    grep -qE -- "(^|[^-A-Za-z0-9_])${opt}([^A-Za-z0-9_-]|\$)" <<<"$text" || missing+=("$opt")
  done <"$options"
  ((${#missing[@]} == 0)) || fail "options of '$prog --help' missing from the page: ${missing[*]}"
fi
echo "ok: $page"
