#!/usr/bin/env bash
# Fails when a live diagnostic id in compiler/support/diag_*.def (any owner's) has no tests/diag case
# named E<id>-<slug>.defs, or when a case names an id that is not in the table.
# NOTE entries need no case: they only ever follow another diagnostic. A quick walk of the table
# and the file names; the cases themselves run as their own tests (run_case.sh).
set -u
root=$1
ids=$(cat "$root"/compiler/support/diag_syntax.def "$root"/compiler/support/diag_check.def "$root"/compiler/support/diag_driver.def |
      awk 'match($0, /^DIAG\([A-Z0-9_]+, *[0-9]+, *(ERROR|WARNING),/) {
             split(substr($0, 6), f, ","); gsub(/ /, "", f[2]); printf "E%04d\n", f[2] }' | sort -u)
cases=$(cd "$root/tests/diag" && ls | sed -n 's/^\(E[0-9][0-9][0-9][0-9]\)-.*\.defs$/\1/p' | sort -u)
missing=$(comm -23 <(echo "$ids") <(echo "$cases"))
stray=$(comm -13 <(echo "$ids") <(echo "$cases"))
for e in $missing; do echo "missing: tests/diag/$e-<slug>.defs"; done
for e in $stray; do echo "stray case (no such live id): tests/diag/$e-*.defs"; done
count=$(echo "$ids" | grep -c .)
if [ -n "$missing$stray" ]; then
  echo "$(echo $missing $stray | wc -w) problem(s) for $count live ids"
  exit 1
fi
echo "all $count live ids have a case"
