#!/bin/sh
# Measures how much of xnu's MIG interfaces OpenMIG handles: runs mig on every .defs file of
# osfmk/mach, osfmk/mach_debug, osfmk/device/device.defs and libsyscall/mach, then compiles the
# four outputs (user .c and .h, server .c and .h) with cc -std=c11 -Wall -Wextra -Werror against
# an installed OpenMIG prefix and nothing else. Prints one line per file and configuration, then
# the counts. Files with no subsystem (std_types.defs, mach_types.defs, ...) hold only types and
# are counted apart; a rejection on an inline `ctype:` is counted as blocked by the grammar work
# of issue 14; a server stub that imports a kernel-only header (kern/, ipc/, vm/: the
# KERNEL_SERVER simports) is counted apart from other failures. xnu is not part of OpenMIG: fetch it yourself (github apple-oss-distributions/xnu).
#
#   scripts/xnu-compile-check.sh XNU_DIR PREFIX [MIG] [WORK]
#     XNU_DIR  an xnu source tree (only the files above are read)
#     PREFIX   an install prefix: cmake --install build --prefix PREFIX
#     MIG      the mig to run (default PREFIX/bin/mig)
#     WORK     scratch directory (default: a new one under ${TMPDIR:-/tmp})
#   CONFIGS="user KERNEL_USER KERNEL_SERVER" (default) selects the configurations; a kernel one
#   runs mig with -D<it>. MIGFLAGS="-novouchers -mach_msg2" adds options to every mig run (xnu's
#   kernel build uses those two). VERBOSE=1 prints the first errors of every failure.
set -u
xnu=${1:?usage: xnu-compile-check.sh XNU_DIR PREFIX [MIG] [WORK]}
prefix=${2:?usage: xnu-compile-check.sh XNU_DIR PREFIX [MIG] [WORK]}
mig=${3:-$prefix/bin/mig}
work=${4:-$(mktemp -d "${TMPDIR:-/tmp}/xnu-check.XXXXXX")}
configs=${CONFIGS:-user KERNEL_USER KERNEL_SERVER}
cc=${CC:-cc}
mkdir -p "$work"

files=$(cd "$xnu" && ls osfmk/mach/*.defs osfmk/mach_debug/*.defs osfmk/device/device.defs \
        libsyscall/mach/*.defs 2>/dev/null)
[ -n "$files" ] || { echo "no .defs files under $xnu" >&2; exit 2; }

# compile UNIT...: 0 when every unit compiles; the first error of each failure goes to $out/*.log.
compile() {
  rc=0
  for unit in "$@"; do
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" -x c \
         "$out/$unit" >"$out/$unit.log" 2>&1; then
      rc=1
      failed="$failed $unit"
    fi
  done
  return $rc
}
first_error() { # the first error line among the logs of the failed units
  for unit in $failed; do grep -m1 'error' "$out/$unit.log"; done | head -1
}

for config in $configs; do
  total=0; typeonly=0; accepted=0; grammar=0; rejected=0
  user_ok=0; server_ok=0; server_kernel=0; all_ok=0
  defines=
  [ "$config" = user ] || defines="-D$config"
  for f in $files; do
    total=$((total + 1))
    name=$(echo "$f" | tr '/' '_' | sed 's/\.defs$//')
    out="$work/$config/$name"
    rm -rf "$out"; mkdir -p "$out"
    # xnu's own .defs come first (#include <mach/std_types.defs> finds xnu's), as in its build.
    if ! "$mig" $defines ${MIGFLAGS:-} -I"$xnu/osfmk" -I"$xnu/libsyscall" -user "$out/User.c" \
         -header "$out/User.h" -server "$out/Server.c" -sheader "$out/Server.h" \
         "$xnu/$f" >"$out/mig.log" 2>&1; then
      msg=$(grep -m1 'error' "$out/mig.log")
      case "$msg" in
        *E0100*) typeonly=$((typeonly + 1)); echo "$config $f: type-only (no subsystem): not an interface" ;;
        *"before 'ctype'"*) grammar=$((grammar + 1)); echo "$config $f: mig-rejected, blocked by the mig grammar work: $msg" ;;
        *) rejected=$((rejected + 1)); echo "$config $f: mig-rejected: $msg" ;;
      esac
      continue
    fi
    accepted=$((accepted + 1))
    failed=
    line="$config $f:"
    if compile User.c User.h; then user_ok=$((user_ok + 1)); line="$line user ok,"
    else line="$line user FAILS ($(first_error)),"; fi
    failed=
    if compile Server.c Server.h; then server_ok=$((server_ok + 1)); line="$line server ok"
    else
      err=$(first_error)
      case "$err" in
        *"fatal error: kern/"*|*"fatal error: ipc/"*|*"fatal error: vm/"*|\
        *"fatal error: 'kern/"*|*"fatal error: 'ipc/"*|*"fatal error: 'vm/"*)
          server_kernel=$((server_kernel + 1)); line="$line server needs kernel headers ($err)" ;;
        *) line="$line server FAILS ($err)" ;;
      esac
    fi
    failed=
    if compile User.c User.h Server.c Server.h; then all_ok=$((all_ok + 1)); fi
    echo "$line"
    if [ "${VERBOSE:-0}" = 1 ]; then
      for unit in User.c User.h Server.c Server.h; do grep 'error' "$out/$unit.log" | head -3; done
    fi
  done
  interfaces=$((total - typeonly))
  echo "== $config: $total files ($typeonly type-only, $interfaces interfaces);" \
       "mig accepts $accepted/$interfaces ($grammar blocked by the mig grammar work, $rejected other);" \
       "user stubs compile $user_ok/$accepted; server stubs compile $server_ok/$accepted" \
       "($server_kernel need kernel-only headers); all four outputs $all_ok/$accepted"
done
echo "outputs and logs: $work"
