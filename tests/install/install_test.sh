#!/usr/bin/env bash
# What a user of an installed OpenMIG does (README.md, "Install"), one case per CTest:
#   cmake      cmake --install into a temporary prefix, then build examples/kvstore out of tree
#              with find_package(OpenMIG) + mig_generate() + OpenMIG::mach, and a consumer of
#              OpenMIG::mach_static; run both.
#   pkgconfig  the same example with the installed mig and `pkg-config mach` (shared, rpath), and
#              `pkg-config --static mach` (libmach.a); run both.
#   deb        cpack -G DEB: the package holds the files the README lists, and its mig works.
#   units      the installed systemd units: systemd-analyze verify when there is one, else parsed;
#              ExecStart is the installed machd, the user socket is the runtime's default path.
# usage: install_test.sh <build dir> <source dir> <case> [extra C flags, e.g. sanitizers]
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
CASE=$3
XFLAGS=${4:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/openmig-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
run_logged() { # run_logged <log> <what> <command...>
  local log=$1 what=$2; shift 2
  "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "$what"; }
}
# The examples run in one process and choose the in-process name service themselves
# (openmig_bootstrap_private): no machd.

install_prefix() {
  run_logged install.txt "cmake --install" cmake --install "$BUILD" --prefix "$WORK/prefix"
  for f in bin/mig bin/machd bin/machctl include/mach/mach.h include/servers/bootstrap.h \
           share/mig/defs/mach/std_types.defs lib/pkgconfig/mach.pc lib/libmach.a \
           lib/cmake/OpenMIG/OpenMIGConfig.cmake lib/cmake/OpenMIG/OpenMIGTargets.cmake \
           share/man/man1/mig.1 share/man/man1/machctl.1 share/man/man8/machd.8 \
           lib/systemd/user/machd.socket lib/systemd/user/machd.service \
           lib/systemd/system/machd.socket lib/systemd/system/machd.service; do
    [[ -e prefix/$f ]] || fail "not installed: $f"
  done
  ls prefix/lib/libmach.so.* >/dev/null || fail "not installed: lib/libmach.so.*"
  # Nothing of the build tree: no tests, no internal libraries.
  if find prefix -name 'test_*' -o -name '*migc*' -o -name '*machd_broker*' | grep .; then
    fail "build-internal files were installed"
  fi
}

expect_kvstore_output() { # <log>
  grep -q 'greeting   -> "hello, mach" (ok)' "$1" || { cat "$1" >&2; fail "kvstore output"; }
}

case_cmake() {
  install_prefix
  run_logged cfg.txt "configure examples/kvstore against the prefix" \
    cmake -S "$SRC/examples/kvstore" -B kv -DCMAKE_PREFIX_PATH="$WORK/prefix" \
          -DCMAKE_C_FLAGS="$XFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$XFLAGS"
  run_logged build.txt "build examples/kvstore" cmake --build kv
  grep -q "$WORK/prefix/bin/mig" kv/CMakeCache.txt kv/CMakeFiles/*/build.make kv/*/build.make 2>/dev/null ||
    grep -rq "$WORK/prefix/bin/mig" kv/CMakeFiles || fail "mig_generate did not use the installed mig"
  readelf -d kv/kvstore | grep -q 'NEEDED.*libmach\.so\.0' || fail "kvstore does not use libmach.so"
  run_logged run.txt "run kvstore (shared)" ./kv/kvstore
  expect_kvstore_output run.txt

  mkdir static
  cat >static/CMakeLists.txt <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(static_consumer LANGUAGES C)
find_package(OpenMIG 0.1 REQUIRED COMPONENTS mig mach)
add_executable(kv $SRC/examples/kvstore/kvstore_main.c $SRC/examples/kvstore/kvstore_server.c)
mig_generate(DEFS $SRC/examples/kvstore/kvstore.defs TARGET kv USER SERVER SERVER_HEADER)
target_include_directories(kv PRIVATE $SRC/examples/kvstore)
target_link_libraries(kv PRIVATE OpenMIG::mach_static)
CMAKE
  run_logged cfg2.txt "configure the OpenMIG::mach_static consumer" \
    cmake -S static -B static-build -DCMAKE_PREFIX_PATH="$WORK/prefix" \
          -DCMAKE_C_FLAGS="$XFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$XFLAGS"
  run_logged build2.txt "build the OpenMIG::mach_static consumer" cmake --build static-build
  if readelf -d static-build/kv | grep -q 'NEEDED.*libmach'; then fail "static consumer needs libmach.so"; fi
  run_logged run2.txt "run the static consumer" ./static-build/kv
  expect_kvstore_output run2.txt
}

case_pkgconfig() {
  install_prefix
  export PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig"
  [[ $(pkg-config --modversion mach) == "$(sed -n 's/^Version: //p' prefix/lib/pkgconfig/mach.pc)" ]] ||
    fail "pkg-config --modversion mach"
  mkdir gen
  run_logged mig.txt "installed mig" "$WORK/prefix/bin/mig" -header gen/kvstore.h -user gen/kvstoreUser.c \
    -server gen/kvstoreServer.c -sheader gen/kvstoreServer.h -I"$SRC/examples/kvstore" \
    "$SRC/examples/kvstore/kvstore.defs"
  local cc=${CC:-cc} srcs=("$SRC/examples/kvstore/kvstore_main.c" "$SRC/examples/kvstore/kvstore_server.c"
                            gen/kvstoreUser.c gen/kvstoreServer.c)
  # shellcheck disable=SC2046,SC2086
  run_logged cc.txt "cc with pkg-config mach" $cc $XFLAGS -o kv-shared "${srcs[@]}" -Igen -I"$SRC/examples/kvstore" \
    $(pkg-config --cflags --libs mach) -Wl,-rpath,"$(pkg-config --variable=libdir mach)"
  run_logged run.txt "run (shared, rpath)" ./kv-shared
  expect_kvstore_output run.txt
  # shellcheck disable=SC2046,SC2086
  run_logged cc2.txt "cc with pkg-config --static mach" $cc $XFLAGS -o kv-static "${srcs[@]}" -Igen \
    -I"$SRC/examples/kvstore" $(pkg-config --cflags mach) -Wl,-Bstatic $(pkg-config --libs-only-l mach) \
    -Wl,-Bdynamic $(pkg-config --static --libs-only-L --libs-only-other mach)
  if readelf -d kv-static | grep -q 'NEEDED.*libmach'; then fail "kv-static needs libmach.so"; fi
  run_logged run2.txt "run (libmach.a)" ./kv-static
  expect_kvstore_output run2.txt
}

case_deb() {
  command -v dpkg-deb >/dev/null || { echo "SKIP: no dpkg-deb"; exit 0; }
  run_logged cpack.txt "cpack -G DEB" cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg"
  local deb
  deb=$(ls pkg/openmig_*.deb) || fail "no .deb written"
  dpkg-deb -c "$deb" | awk '{print $6}' >contents.txt
  for f in ./usr/bin/mig ./usr/bin/machd ./usr/bin/machctl ./usr/include/mach/mach.h ./usr/lib/pkgconfig/mach.pc \
           ./usr/lib/cmake/OpenMIG/OpenMIGConfig.cmake ./usr/share/mig/defs/mach/std_types.defs \
           ./usr/share/man/man1/mig.1 ./usr/share/man/man8/machd.8 \
           ./usr/lib/systemd/system/machd.socket ./usr/lib/systemd/user/machd.service; do
    grep -qx -- "$f" contents.txt || { cat contents.txt >&2; fail "$f missing from $deb"; }
  done
  [[ $(dpkg-deb -f "$deb" Package) == openmig ]] || fail "package name"
  dpkg-deb -x "$deb" root
  run_logged mig.txt "mig from the package" root/usr/bin/mig --version
  grep -qx 'ExecStart=/usr/bin/machd --foreground --system --log-level notice' root/usr/lib/systemd/system/machd.service ||
    fail "the packaged unit does not run /usr/bin/machd"
}

# unit_value <file> <section> <key>: the value of key in [section] (last one wins, as systemd).
unit_value() {
  awk -v sec="[$2]" -v key="$3" '
    /^[ \t]*[#;]/ || /^[ \t]*$/ { next }
    /^\[/ { cur = $0; next }
    cur == sec { i = index($0, "="); if (i && substr($0, 1, i - 1) == key) v = substr($0, i + 1) }
    END { print v }' "$1"
}

case_units() {
  install_prefix
  local kind f
  for kind in user system; do
    for f in prefix/lib/systemd/$kind/machd.socket prefix/lib/systemd/$kind/machd.service; do
      # Every line: a comment, a [Section] or Key=Value, in the sections systemd knows here.
      awk '/^[ \t]*([#;]|$)/ { next } /^\[(Unit|Socket|Service|Install)\]$/ { next }
           /^[A-Za-z]+=/ { next } { print FILENAME ": " NR ": " $0; bad = 1 } END { exit bad }' "$f" ||
        fail "$f: not a unit file"
      [[ -n $(unit_value "$f" Unit Description) ]] || fail "$f: no Description"
      [[ $(unit_value "$f" Unit Documentation) == "man:machd(8)" ]] || fail "$f: Documentation"
    done
    local svc=prefix/lib/systemd/$kind/machd.service sock=prefix/lib/systemd/$kind/machd.socket
    local args="--foreground --log-level notice"
    [[ $kind == system ]] && args="--foreground --system --log-level notice" # the system domain
    [[ $(unit_value "$svc" Service ExecStart) == "$WORK/prefix/bin/machd $args" ]] ||
      fail "$svc: ExecStart is not the installed machd: $(unit_value "$svc" Service ExecStart)"
    [[ $(unit_value "$svc" Unit Requires) == machd.socket ]] || fail "$svc: Requires"
    [[ $(unit_value "$sock" Install WantedBy) == sockets.target ]] || fail "$sock: WantedBy"
  done
  # The user socket is where the runtime looks by default ($XDG_RUNTIME_DIR is %t), private.
  local user_sock=prefix/lib/systemd/user/machd.socket
  [[ $(unit_value "$user_sock" Socket ListenSequentialPacket) == "%t/machd/machd.sock" ]] || fail "user socket path"
  [[ $(unit_value "$user_sock" Socket DirectoryMode) == 0700 ]] || fail "user socket directory mode"
  [[ $(unit_value "$user_sock" Socket SocketMode) == 0600 ]] || fail "user socket mode"
  # The system socket is where the runtime looks for the system domain first (docs/machd.md 6).
  local sys_sock=prefix/lib/systemd/system/machd.socket
  [[ $(unit_value "$sys_sock" Socket ListenSequentialPacket) == /run/machd/system ]] || fail "system socket path"
  [[ $(unit_value "$sys_sock" Socket DirectoryMode) == 0755 ]] || fail "system socket directory mode"
  if command -v systemd-analyze >/dev/null; then
    (cd prefix/lib/systemd/system && run_logged "$WORK/verify-system.txt" "systemd-analyze verify (system)" \
       systemd-analyze verify --man=no machd.socket machd.service)
    mkdir -m 700 xdg
    (cd prefix/lib/systemd/user && XDG_RUNTIME_DIR="$WORK/xdg" run_logged "$WORK/verify-user.txt" \
       "systemd-analyze verify (user)" systemd-analyze --user verify --man=no machd.socket machd.service)
  else
    echo "note: no systemd-analyze; the units were checked by parsing only"
  fi
}

"case_$CASE"
echo "ok: $CASE"
