#!/usr/bin/env bash
# Runs README.md's shell blocks (run_doc_blocks.sh) as a newcomer would: no MACHD_SOCKET, no
# machd running, nothing chosen (the "Two processes" block relies on the first bootstrap call
# starting the installed machd). The user's runtime directory is a fresh one, so the machd started
# on demand is this test's own; it is stopped at the end.
# usage: run_readme_blocks.sh <build dir> <source dir>
set -uo pipefail
runtime=$(mktemp -d "${TMPDIR:-/tmp}/openmig-readme.XXXXXX")
stop_machd() { # the machds whose command line names our runtime directory
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "--socket $runtime/"; then kill "${p#/proc/}" 2>/dev/null; fi
  done
  sleep 0.2
  rm -rf "$runtime"
}
trap stop_machd EXIT
unset MACHD_SOCKET MACHD_DISABLE MACH_BOOTSTRAP MACHD_NO_AUTOSTART MACHD_PATH
export XDG_RUNTIME_DIR=$runtime
bash "$(dirname "$0")/run_doc_blocks.sh" "$1" "$2" "$2/README.md"
