#!/usr/bin/env bash
# Fails when a live diagnostic id in compiler/diag_*.def (any owner's) has no tests/diag case
# named E<id>-<slug>.defs, or when a case names an id that is not in the table.
# NOTE entries need no case: they only ever follow another diagnostic.
set -u
root=$1
missing=0
ids=$(cat "$root"/compiler/diag_syntax.def "$root"/compiler/diag_check.def "$root"/compiler/diag_driver.def |
      sed -n 's/^DIAG([A-Z0-9_]*, *\([0-9]*\), *\(ERROR\|WARNING\),.*/\1/p')
for id in $ids; do
  e=$(printf 'E%04d' "$id")
  if ! compgen -G "$root/tests/diag/$e-*.defs" > /dev/null; then
    echo "missing: tests/diag/$e-<slug>.defs"
    missing=$((missing + 1))
  fi
done
for f in "$root"/tests/diag/E[0-9][0-9][0-9][0-9]-*.defs; do
  [ -e "$f" ] || continue
  n=$((10#$(basename "$f" | cut -c2-5)))
  grep -qx "$n" <<< "$ids" || { echo "stray case (no such live id): $(basename "$f")"; missing=$((missing + 1)); }
done
count=$(wc -w <<< "$ids")
if [ $missing -ne 0 ]; then
  echo "$missing problem(s) for $count live ids"
  exit 1
fi
echo "all $count live ids have a case"
