#!/usr/bin/env bash
# The demo run by scripts/setup.sh (README quick start): compiles scripts/demo.defs with the
# freshly built mig and shows what it found: every routine with its message ids (-v), and the
# same interface as JSON (--emit-json), summarised. Argument: the build directory.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
[[ -x $build/bin/mig ]] || { echo "demo: $build/bin/mig not built" >&2; exit 1; }
mig=$(realpath "$build/bin/mig")
export MIG_DEFS_DIR=${MIG_DEFS_DIR:-$PWD/defs}
defs=$PWD/scripts/demo.defs
out=$(mktemp -d "${TMPDIR:-/tmp}/migdemo.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "== $mig --version"
"$mig" --version
echo
echo "== mig -v --emit-json calc.json scripts/demo.defs   (-v: Apple's verbose summary)"
"$mig" -v --emit-json "$out/calc.json" "$defs"
echo
echo "== mig scripts/demo.defs   (C stubs named after the subsystem, written atomically)"
if (cd "$out" && "$mig" "$defs" 2>&1); then
  (cd "$out" && wc -l calc.h calcUser.c calcServer.c)
else
  echo "(C generation failed: see above)"
fi
echo
echo "== what the JSON says (the checked IR: ids, arguments and how each travels)"
if ! command -v python3 >/dev/null; then
  echo "(python3 is not installed: skipping the JSON summary; -v above lists the ids)"
  echo "== demo done"
  exit 0
fi
python3 - "$out/calc.json" <<'PY'
import json, sys
ir = json.load(open(sys.argv[1]))
sub = ir["subsystem"]
print(f"subsystem {sub['name']}: ids {sub['base']}-{sub['end'] - 1}, "
      f"largest request {sub['max_request_size']} bytes, largest reply {sub['max_reply_size']} bytes")
for rt in ir["routines"]:
    if rt["kind"] == "skip":
        print(f"  {sub['base'] + rt['index']:>6}  (skipped id)")
        continue
    print(f"  {rt['request_id']:>6}  {rt['kind']:<13} {rt['name']}"
          + (f"  (reply id {rt['reply_id']})" if rt["kind"] == "routine" else "  (one-way)"))
    for a in rt["args"]:
        if a["implicit"] or a["role"] == "request_port":
            continue
        where = a["request"] if a["request"] != "none" else a["reply"]
        print(f"          {a['dir']:<5} {a['name']:<10} {a['user_c_type']:<24} travels as {where}")
    req = rt["request"]
    print(f"          request {req['typedef']}: {req['size']} bytes, {req['descriptors']} descriptor(s)")
PY
echo "== demo done"
