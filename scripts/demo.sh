#!/usr/bin/env bash
# The demo run by scripts/setup.sh (README quick start): compiles scripts/demo.defs with the
# freshly built mig and shows what it found: every routine with its message ids (-v), and the
# same interface as JSON (--emit-json), summarised. Argument: the build directory.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
mig=$build/bin/mig
[[ -x $mig ]] || { echo "demo: $mig not built" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/migdemo.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "== $mig --version"
"$mig" --version
echo
echo "== mig -v --emit-json calc.json scripts/demo.defs"
MIG_DEFS_DIR=${MIG_DEFS_DIR:-$PWD/defs} "$mig" -v --emit-json "$out/calc.json" scripts/demo.defs
echo
echo "== what the JSON says (the checked IR: ids, arguments and how each travels)"
python3 - "$out/calc.json" <<'PY' || echo "(python3 not available: see $out/calc.json)"
import json, sys
ir = json.load(open(sys.argv[1]))
def find(d, *keys):
    for k in keys:
        if isinstance(d, dict) and k in d:
            return d[k]
    return None
sub = find(ir, "subsystem")
name = sub.get("name") if isinstance(sub, dict) else sub
base = find(sub, "base") if isinstance(sub, dict) else find(ir, "base")
routines = find(ir, "routines") or []
print(f"subsystem {name}, base {base}, {len(routines)} slots")
for rt in routines:
    kind = rt.get("kind")
    if kind == "skip":
        print(f"  {rt.get('request_id', '?'):>6}  (skip)")
        continue
    args = [a for a in rt.get("args", rt.get("arguments", [])) if not a.get("is_implicit", a.get("implicit", False))]
    desc = ", ".join(f"{a.get('dir', '')} {a.get('name')}".strip() for a in args)
    reply = rt.get("reply_id")
    print(f"  {rt.get('request_id', '?'):>6}  {kind:<13} {rt.get('name')}({desc})" + (f"  reply {reply}" if kind == "routine" else ""))
PY
echo "== demo done"
