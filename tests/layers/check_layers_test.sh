#!/usr/bin/env bash
# Tests scripts/check-layers.sh on small trees made here: a clean tree passes; an upward include,
# a bare include of another folder's header, a folder without rules, a cycle and a source outside
# every layer each fail with their own message.
set -uo pipefail
script=$(cd "$(dirname "$0")/../.." && pwd)/scripts/check-layers.sh
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failures=0; passed=0

make_tree() { # a clean two-root tree: compiler/{low,high}, runtime/src/{core,api}, runtime/machd
  local t=$1
  mkdir -p "$t"/compiler/{low,high} "$t"/runtime/src/{core,api} "$t"/runtime/machd
  echo "May include: nothing" > "$t/compiler/low/README.md"
  echo "May include: low" > "$t/compiler/high/README.md"
  echo "May include: nothing" > "$t/runtime/src/core/README.md"
  echo "May include: core" > "$t/runtime/src/api/README.md"
  echo "May include: core" > "$t/runtime/machd/README.md"
  echo '#include "low/a.h"' > "$t/compiler/low/a.c"; : > "$t/compiler/low/a.h"
  printf '#include "low/a.h"\n#include "high/b.h"\n#include <stdio.h>\n' > "$t/compiler/high/b.c"
  : > "$t/compiler/high/b.h"
  : > "$t/runtime/src/core/c.h"; echo '#include "c.h"' > "$t/runtime/src/core/c.c"
  echo '#include "core/c.h"' > "$t/runtime/src/api/d.c"
  echo '#include "core/c.h"' > "$t/runtime/machd/m.c"
}

expect() { # name want-status want-text tree
  local name=$1 want=$2 text=$3 tree=$4 out rc
  out=$(bash "$script" "$tree" 2>&1); rc=$?
  if [[ $rc -eq $want && $out == *"$text"* ]]; then passed=$((passed + 1))
  else failures=$((failures + 1)); echo "FAIL $name: exit $rc, output:"; echo "$out"; fi
}

t=$work/clean; make_tree "$t"
expect clean 0 "check-layers: ok" "$t"

t=$work/upward; make_tree "$t"; echo '#include "high/b.h"' >> "$t/compiler/low/a.c"
expect upward 1 "layer 'low' may not include 'high'" "$t"

t=$work/bare; make_tree "$t"; echo '#include "a.h"' >> "$t/compiler/high/b.c"
expect bare 1 "includes \"a.h\": not beside it" "$t"

t=$work/norules; make_tree "$t"; rm "$t/runtime/src/api/README.md"
expect norules 1 "runtime/src/api: holds sources but no README.md" "$t"

t=$work/cycle; make_tree "$t"; echo "May include: high" > "$t/compiler/low/README.md"
expect cycle 1 "the layers form a cycle" "$t"

t=$work/loose; make_tree "$t"; : > "$t/compiler/loose.c"
expect loose 1 "compiler/loose.c: a source directly in compiler/" "$t"

t=$work/machd; make_tree "$t"; echo '#include "api/x.h"' >> "$t/runtime/machd/m.c"
expect machd 1 "layer 'machd' may not include 'api'" "$t"

echo "check-layers tests: $passed passed, $failures failed"
((failures == 0))
