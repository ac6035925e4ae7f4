#!/usr/bin/env bash
# kvstore as two processes through machd, as docs/machd.md shows: machd on a socket in a private
# directory, kvstore-server checks the service in, kvstore-client calls it from other processes.
# usage: two_processes.sh <machd> <kvstore-server> <kvstore-client>
set -euo pipefail
machd=$1 server=$2 client=$3
dir=$(mktemp -d)                       # mode 0700: machd's rule for its socket's directory
export MACHD_SOCKET=$dir/machd.sock MACHD_NO_AUTOSTART=1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$machd" --socket "$MACHD_SOCKET" & pids+=($!)
for _ in $(seq 500); do [[ -S $MACHD_SOCKET ]] && break; sleep 0.02; done
"$server" >"$dir/server.out" & pids+=($!)
for _ in $(seq 500); do grep -q serving "$dir/server.out" && break; sleep 0.02; done
grep -q "serving org.openmig.example.kvstore" "$dir/server.out" || fail "kvstore-server did not start"

"$client" put greeting "hello, mach"
"$client" put answer 42
[[ $("$client" get greeting) == "hello, mach" ]] || fail "get greeting"
[[ $("$client" get answer) == 42 ]] || fail "get answer"
[[ $("$client" count) == 2 ]] || fail "count"
if "$client" get missing 2>"$dir/err"; then fail "get missing succeeded"; fi
grep -q "get: " "$dir/err" || fail "no error for a missing key: $(cat "$dir/err")"
echo "ok: two processes through machd"
