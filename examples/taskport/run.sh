#!/usr/bin/env bash
# The broker example through a private machd: both children say what the other sent them.
# usage: run.sh <machd> <taskport-broker> [direct|relay]
set -euo pipefail
machd=$1 broker=$2 path=${3:-direct}
dir=$(mktemp -d)                       # mode 0700: machd's rule for its socket's directory
export MACHD_SOCKET=$dir/machd.sock MACHD_NO_AUTOSTART=1
[[ $path == relay ]] && export MACHD_DIRECT=0
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$machd" --socket "$MACHD_SOCKET" & pids+=($!)
for _ in $(seq 500); do [[ -S $MACHD_SOCKET ]] && break; sleep 0.02; done
"$broker" >"$dir/out" || fail "the broker failed: $(cat "$dir/out")"
cat "$dir/out"
grep -q "^A got: hello from B (pid [0-9]*)$" "$dir/out" || fail "A did not hear from B"
grep -q "^B got: hello from A (pid [0-9]*)$" "$dir/out" || fail "B did not hear from A"
grep -q "^ok: the children talked directly$" "$dir/out" || fail "no ok"
