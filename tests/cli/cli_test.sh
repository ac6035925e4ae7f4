#!/usr/bin/env bash
# Command-line tests of the mig executable: one case per run, named on the command line.
#   cli_test.sh <path/to/mig> <source dir> <case>
# Each case works in a fresh temporary directory and fails with a message naming what differed.
set -euo pipefail

MIG=$(realpath "$1")
SRC=$(realpath "$2")
CASE=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/migcli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export MIG_DEFS_DIR="$SRC/defs"
unset MIGCC CC NO_COLOR || true

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }

# run <expected status> <command...>: runs it with stdout/stderr in out.txt / err.txt.
run() {
  local want=$1; shift
  local got=0
  "$@" >out.txt 2>err.txt || got=$?
  if [[ $got != "$want" ]]; then
    echo "--- stdout"; cat out.txt; echo "--- stderr"; cat err.txt
    fail "'$*' exited $got, expected $want"
  fi
}

expect_in() { # expect_in <file> <fixed string>
  grep -qF -- "$2" "$1" || { cat "$1"; fail "'$2' not in $1"; }
}
expect_not_in() {
  if grep -qF -- "$2" "$1"; then cat "$1"; fail "'$2' unexpectedly in $1"; fi
}

# A small valid interface; subsystem name differs from the file name on purpose.
write_sample() {
  cat >"${1:-sample.defs}" <<'EOF'
subsystem demo_sub 4000;
#include <mach/std_types.defs>
#include <mach/mach_types.defs>
routine add(server : mach_port_t; a : int; b : int; out sum : int);
simpleroutine ping(server : mach_port_t; n : uint64_t);
#ifdef WITH_EXTRA
routine extra_routine(server : mach_port_t);
#endif
EOF
}

case_version() {
  run 0 "$MIG" -version
  expect_in out.txt "OpenMIG"
  expect_not_in out.txt "GNU"
  head -1 out.txt | grep -qE '^mig \(OpenMIG\) [0-9]+\.[0-9]+\.[0-9]+$' || fail "first line: $(head -1 out.txt)"
  run 0 "$MIG" --version
  expect_in out.txt "mig (OpenMIG)"
}

case_help() {
  run 0 "$MIG" --help
  for opt in -user -server -header -sheader -iheader -dheader --emit-json -MD -MF -D -U -I -F \
             -isystem -include -cc -arch -target -isysroot -novouchers -mach_msg2 -maxonstack \
             -max_descrs -max_reply_descrs -split "-b " "-n " "-r " "-s " "-i " "-l " "-k " "-x " "-t " \
             "-q " "-v " -Werror --error-limit --diagnostics-format --no-color --color -version --help; do
    expect_in out.txt " $opt"
  done
  expect_in out.txt "Exit status"
}

case_every_flag() {
  write_sample
  mkdir -p incdir
  run 0 "$MIG" -q -Q -v -V -r -R -s -S -l -L -k -K -n -N -b -B -T -X -novouchers -mach_msg2 \
    -split -arch x86_64 -target x86_64-apple-macos11 -isysroot /nonexistent-sdk -cpp x \
    -migcom /usr/libexec/migcom -maxonstack 1024 -max_descrs 64 -max_reply_descrs 64 \
    -Iincdir -I incdir -DA=1 -D B -UC -U D -Fincdir -F incdir -isystem incdir -Werror --no-color \
    -user /dev/null -server /dev/null -header /dev/null -sheader /dev/null -iheader /dev/null \
    -dheader /dev/null --emit-json out.json sample.defs
  [[ -s out.json ]] || fail "no JSON written"
  run 0 "$MIG" -t -user /dev/null -server /dev/null -header /dev/null --emit-json t.json sample.defs
  expect_in err.txt "[E0412]"
  # -x (short-circuited RPCs) is refused, as Apple's migcom refuses it; nothing is written.
  run 2 "$MIG" -x --emit-json x.json sample.defs
  expect_in err.txt "option '-x' is not supported"
  expect_in err.txt "[E0421]"
  [[ ! -e x.json && ! -e demo_sub.h ]] || fail "-x wrote output: $(ls)"
  run 2 "$MIG" -arch armv7 --emit-json a.json sample.defs
  expect_in err.txt "[E0418]"
  run 2 "$MIG" -target i386-apple-macos10.6 --emit-json a.json sample.defs
  expect_in err.txt "[E0418]"
  run 0 "$MIG" -arch arm64e --emit-json a.json sample.defs
  # -i: one user file per routine instead of the user file; each compiles on its own.
  mkdir split
  run 0 "$MIG" -i split/one_ -MF split.d -header split/h.h -server /dev/null sample.defs
  [[ -s split/one_add.c && -s split/one_ping.c ]] || fail "-i files missing: $(ls split)"
  [[ ! -e demo_subUser.c ]] || fail "-i also wrote the user file"
  expect_in split.d "split/one_ping.c"
  expect_in split/one_ping.c "kern_return_t ping"
  expect_not_in split/one_ping.c "kern_return_t add"
}

case_cpp_options() {
  mkdir -p inc1 inc2
  printf 'routine from_inc1(server : mach_port_t);\n' >inc1/one.defs
  printf 'routine from_inc2(server : mach_port_t);\n' >inc2/two.defs
  cat >opts.defs <<'EOF'
subsystem opts 100;
#include <mach/std_types.defs>
#include <one.defs>
#include <two.defs>
#if defined(JOINED) && defined(SEPARATE) && VALUE == 7 && !defined(GONE)
routine all_defined(server : mach_port_t);
#endif
EOF
  run 0 "$MIG" -Iinc1 -I inc2 -DJOINED -D SEPARATE -D VALUE=7 -DGONE -U GONE --emit-json o.json opts.defs
  for r in from_inc1 from_inc2 all_defined; do expect_in o.json "\"$r\""; done
  # ravynOS passes a stray bare -I before -Idir: warn, keep going.
  run 0 "$MIG" -Iinc1 -I -Iinc2 -DJOINED -DSEPARATE -DVALUE=7 --emit-json o2.json opts.defs
  expect_in err.txt "[E0413]"
  expect_in o2.json '"from_inc2"'
  # The standard defs come last: a project's -I copy and an SDK's (-isysroot) are used first.
  mkdir -p mine/mach sdk/usr/include/mach
  printf 'type int = MACH_MSG_TYPE_INTEGER_32;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n' \
    | tee mine/mach/std_types.defs >sdk/usr/include/mach/std_types.defs
  printf 'subsystem sdk 1;\n#include <mach/std_types.defs>\nroutine r(s : mach_port_t; a : int);\n' >sdk.defs
  run 0 "$MIG" -Imine -MD --emit-json s1.json sdk.defs
  expect_in s1.json.d "mine/mach/std_types.defs"
  run 0 "$MIG" -isysroot "$PWD/sdk" -MD --emit-json s2.json sdk.defs
  expect_in s2.json.d "sdk/usr/include/mach/std_types.defs"
  SDKROOT="$PWD/sdk" run 0 "$MIG" -MD --emit-json s3.json sdk.defs
  expect_in s3.json.d "sdk/usr/include/mach/std_types.defs"
  run 0 "$MIG" -MD --emit-json s4.json sdk.defs
  expect_in s4.json.d "$MIG_DEFS_DIR/mach/std_types.defs"
  # Options after the file are ignored with a warning (Apple's mig.sh does the same).
  run 0 "$MIG" -Iinc1 -Iinc2 --emit-json o3.json opts.defs -DJOINED -DSEPARATE -DVALUE=7
  expect_in err.txt "[E0404]"
  expect_not_in o3.json '"all_defined"'

}

case_dev_null() {
  write_sample
  run 0 "$MIG" -user /dev/null -server /dev/null -header /dev/null -sheader /dev/null \
    --emit-json only.json sample.defs
  [[ $(ls | sort | tr '\n' ' ') == "err.txt only.json out.txt sample.defs " ]] || fail "files: $(ls)"
}

case_default_names() {
  write_sample
  # --emit-json alone writes no C file.
  run 0 "$MIG" --emit-json alone.json sample.defs
  [[ ! -e demo_sub.h && ! -e demo_subUser.c && ! -e demo_subServer.c ]] || fail "C written with --emit-json alone"
  # No output option: <subsystem>.h, <subsystem>User.c, <subsystem>Server.c (not the file name).
  run 0 "$MIG" sample.defs
  for f in demo_sub.h demo_subUser.c demo_subServer.c; do [[ -s $f ]] || fail "$f missing"; done
  [[ ! -e sampleUser.c && ! -e demo_subServer.h ]] || fail "unexpected output: $(ls)"
  expect_in demo_subUser.c "demo_sub"
  # One output named: the others keep their defaults (Apple's rule); -sheader adds one.
  rm -f demo_sub*
  run 0 "$MIG" -sheader srv.h sample.defs
  for f in demo_sub.h demo_subUser.c demo_subServer.c srv.h; do [[ -s $f ]] || fail "$f missing"; done
}

case_exit_codes() {
  write_sample
  run 2 "$MIG"
  expect_in err.txt "[E0403]"
  run 2 "$MIG" -user
  expect_in err.txt "[E0401]"
  run 2 "$MIG" -maxonstack many sample.defs
  expect_in err.txt "[E0402]"
  run 2 "$MIG" --no-such-option sample.defs
  expect_in err.txt "[E0400]"
  run 2 "$MIG" --emit-json same.out -user same.out sample.defs
  expect_in err.txt "[E0414]"
  run 2 "$MIG" -MF demo_subUser.c -header h.h sample.defs # -user defaults to demo_subUser.c
  expect_in err.txt "[E0414]"
  [[ ! -e h.h ]] || fail "h.h written although the run failed"
  run 1 "$MIG" --emit-json x.json missing.defs
  expect_in err.txt "[E0408]"
  printf 'subsystem broken 1\nroutine;\n' >bad.defs
  run 1 "$MIG" --emit-json x.json bad.defs
  [[ ! -e x.json ]] || fail "output written for bad input"
  run 0 "$MIG" --emit-json x.json sample.defs
}

case_no_partial_output() {
  write_sample
  echo "previous contents" >keep.json
  cp keep.json keep.orig
  # Fails in the checks, after parsing: an unknown type.
  cat >late.defs <<'EOF'
subsystem late 10;
#include <mach/std_types.defs>
routine ok(server : mach_port_t; a : int);
routine bad(server : mach_port_t; a : no_such_type_t);
EOF
  run 1 "$MIG" -MD -MF all.d --emit-json keep.json late.defs
  cmp -s keep.json keep.orig || fail "pre-existing output changed"
  [[ ! -e keep.json.d && ! -e all.d ]] || fail "dependency file written on failure"
  # Fails while writing: one output cannot be created; the other must not appear either.
  run 1 "$MIG" -MF deps.d --emit-json no/such/dir/x.json sample.defs
  expect_in err.txt "[E0409]"
  [[ ! -e deps.d ]] || fail "deps.d written although another output failed"
  [[ -z $(ls -A | grep -F '.tmp') ]] || fail "temporary left: $(ls -A)"
}

case_depfile_make() {
  mkdir -p inc
  write_sample
  printf 'routine from_inc(server : mach_port_t);\n' >inc/extra.defs
  sed -i 's|#ifdef WITH_EXTRA|#include <extra.defs>\n#ifdef WITH_EXTRA|' sample.defs
  run 0 "$MIG" -Iinc -MD --emit-json out.json sample.defs
  expect_in out.json.d "out.json:"
  expect_in out.json.d "sample.defs"
  expect_in out.json.d "inc/extra.defs"
  expect_in out.json.d "mach/std_types.defs"
  cat >Makefile <<EOF
out.json: sample.defs
	"$MIG" -Iinc -MD --emit-json out.json sample.defs
-include out.json.d
EOF
  touch -d '1 minute ago' sample.defs inc/extra.defs
  make -q out.json || fail "make thinks out.json is out of date right after mig"
  touch inc/extra.defs
  if make -q out.json; then fail "make missed the change to an included file"; fi
  make -s out.json >/dev/null
  make -q out.json || fail "not up to date after rebuild"
  # -MD -MF together: one .d per output plus one naming every output.
  run 0 "$MIG" -Iinc -MD -MF all.d -sheader /dev/null -user /dev/null -server /dev/null \
    -header /dev/null --emit-json two.json sample.defs
  expect_in all.d "two.json:"
  expect_in two.json.d "two.json:"
}

case_depfile_ninja() {
  command -v ninja >/dev/null || { echo "SKIP: ninja not installed"; exit 0; }
  mkdir -p inc
  write_sample
  printf 'routine from_inc(server : mach_port_t);\n' >inc/extra.defs
  sed -i 's|#ifdef WITH_EXTRA|#include <extra.defs>\n#ifdef WITH_EXTRA|' sample.defs
  cat >build.ninja <<EOF
rule mig
  command = "$MIG" -Iinc -MF \$out.d --emit-json \$out \$in
  depfile = \$out.d
  deps = gcc
build out.json: mig sample.defs
EOF
  ninja >/dev/null || fail "ninja build failed"
  ninja -n -d explain out.json >explain.txt 2>&1
  expect_in explain.txt "no work to do"
  sleep 1
  touch inc/extra.defs
  ninja -n out.json >again.txt 2>&1
  expect_not_in again.txt "no work to do"
  ninja >/dev/null
  ninja -t deps out.json >deps.txt
  expect_in deps.txt "inc/extra.defs"
}

case_cpp_failure() {
  cat >err.defs <<'EOF'
subsystem err 1;
#error deliberate failure from the test
routine r(server : mach_port_t);
EOF
  run 1 "$MIG" --emit-json e.json err.defs
  expect_in err.txt "deliberate failure from the test" # cpp's own message
  expect_in err.txt "[E0407]"
  [[ $(grep -c '\[E0' err.txt) == 1 ]] || { cat err.txt; fail "more than one mig error"; }
  [[ ! -e e.json ]] || fail "output written"
  run 1 "$MIG" -cc /nonexistent/cpp --emit-json e.json err.defs
  expect_in err.txt "[E0406]"
}

case_cc_env() {
  write_sample
  cat >fakecc <<'EOF'
#!/bin/sh
echo "$(basename "$0") $*" >>"$(dirname "$0")/cc.log"
exec cc "$@"
EOF
  chmod +x fakecc
  cp fakecc othercc
  MIGCC="$PWD/fakecc" CC="$PWD/othercc" run 0 "$MIG" --emit-json a.json sample.defs
  expect_in cc.log "fakecc -E"
  expect_in cc.log "-D__MACH30__"
  expect_not_in cc.log "othercc"
  rm cc.log
  # MIG_TRACE_HEADERS: the preprocessor is asked for clang's JSON header trace into that file,
  # as by Apple's mig.sh; without it, an inherited CC_PRINT_HEADERS_FORMAT is removed.
  cat >fakeclang <<'EOF'
#!/bin/sh
env | grep '^CC_PRINT_HEADERS' | sort >"$(dirname "$0")/trace_env.txt"
exec cc "$@"
EOF
  chmod +x fakeclang
  MIG_TRACE_HEADERS="$PWD/trace.json" CC_PRINT_HEADERS_FORMAT=textual \
    run 0 "$MIG" -cc "$PWD/fakeclang" --emit-json t1.json sample.defs
  expect_in trace_env.txt "CC_PRINT_HEADERS_FORMAT=json"
  expect_in trace_env.txt "CC_PRINT_HEADERS_FILTERING=only-direct-system"
  expect_in trace_env.txt "CC_PRINT_HEADERS_FILE=$PWD/trace.json"
  expect_not_in err.txt "[E0422]"
  CC_PRINT_HEADERS_FORMAT=textual run 0 "$MIG" -cc "$PWD/fakeclang" --emit-json t2.json sample.defs
  expect_not_in trace_env.txt "CC_PRINT_HEADERS_FORMAT"
  # Another preprocessor writes no trace: said once, not silently ignored.
  MIG_TRACE_HEADERS="$PWD/trace.json" run 0 "$MIG" -cc "$PWD/fakecc" --emit-json t3.json sample.defs
  expect_in err.txt "MIG_TRACE_HEADERS is set, but the preprocessor"
  [[ $(grep -c 'E0422' err.txt) == 1 ]] || fail "E0422 not said once: $(cat err.txt)"
  rm cc.log
  CC="$PWD/othercc" run 0 "$MIG" --emit-json b.json sample.defs
  expect_in cc.log "othercc -E"
  rm cc.log
  MIGCC="$PWD/othercc" run 0 "$MIG" -cc "$PWD/fakecc" --emit-json c.json sample.defs
  expect_in cc.log "fakecc -E"
  # A non-Apple compiler never gets -arch.
  expect_not_in cc.log "-arch"
}

case_positions() {
  mkdir -p inc
  printf '/* line 1 */\n/* line 2 */\nroutine in_header(server : mach_port_t; x : undefined_in_header_t);\n' >inc/hdr.defs
  cat >pos.defs <<'EOF'
subsystem pos 1;
#include <mach/std_types.defs>
#include "inc/hdr.defs"

/* blank lines above and below move the line number */

routine main_file(server : mach_port_t; y : undefined_in_main_t);
EOF
  run 1 "$MIG" --no-color --emit-json p.json pos.defs
  expect_in err.txt "inc/hdr.defs:3:"
  expect_in err.txt "pos.defs:7:"
  expect_not_in err.txt "<stdin>"
}

case_color() {
  printf 'subsystem c 1;\nroutine r(server : no_type_t);\n' >c.defs
  local esc=$'\033['
  run 1 "$MIG" --emit-json c.json c.defs # stderr is a file, not a terminal: no colour
  expect_not_in err.txt "$esc"
  run 1 "$MIG" --color --emit-json c.json c.defs
  expect_in err.txt "$esc"
  NO_COLOR=1 run 1 "$MIG" --emit-json c.json c.defs
  expect_not_in err.txt "$esc"
  if command -v script >/dev/null; then # a real terminal: colour unless NO_COLOR
    script -qec "'$MIG' --emit-json c.json c.defs" /dev/null >tty.txt 2>&1 || true
    expect_in tty.txt "$esc"
    NO_COLOR=1 script -qec "'$MIG' --emit-json c.json c.defs" /dev/null >tty2.txt 2>&1 || true
    expect_not_in tty2.txt "$esc"
    expect_in tty2.txt "no_type_t"
  fi
}

case_json_diagnostics() {
  printf 'subsystem j 1;\nroutine r(server : no_type_t);\n' >j.defs
  run 1 "$MIG" --diagnostics-format=json --emit-json j.json j.defs
  head -c1 err.txt | grep -q '\[' || { cat err.txt; fail "not a JSON array"; }
  expect_in err.txt '"line"'
  printf 'subsystem e 1;\nroutine a(s : t1);\nroutine b(s : t2);\nroutine c(s : t3);\n' >e.defs
  run 1 "$MIG" --error-limit=2 --emit-json e.json e.defs
  [[ $(grep -c 'unknown type' err.txt) == 2 ]] || { cat err.txt; fail "--error-limit=2 not honoured"; }
}

# mig_generate() from cmake/MigGenerate.cmake in a small project, with the Ninja and the
# Makefile generator: outputs appear, a second build does nothing, and touching a .defs file
# that is only #included re-runs mig (the -MF depfile reached the build system).
case_cmake_generate() {
  mkdir -p proj/inc
  write_sample proj/sample.defs
  printf 'routine from_inc(server : mach_port_t);\n' >proj/inc/extra.defs
  sed -i 's|#ifdef WITH_EXTRA|#include <extra.defs>\n#ifdef WITH_EXTRA|' proj/sample.defs
  {
    echo 'cmake_minimum_required(VERSION 3.20)'
    echo 'project(migtest NONE)'
    echo "set(MIG_EXECUTABLE \"$MIG\")"
    echo "include(\"$SRC/cmake/MigGenerate.cmake\")"
    echo 'mig_generate(DEFS sample.defs USER SERVER_HEADER JSON sample.json'
    echo '             INCLUDE_DIRECTORIES inc DEFINITIONS WITH_EXTRA MIG_ARGS -novouchers)'
    echo 'add_custom_target(gen ALL DEPENDS ${sample_MIG_HEADERS} ${sample_MIG_SOURCES}'
    echo '                  "${CMAKE_CURRENT_BINARY_DIR}/mig/sample.json")'
  } >proj/CMakeLists.txt
  local gen
  for gen in Ninja "Unix Makefiles"; do
    if [[ $gen == Ninja ]] && ! command -v ninja >/dev/null; then continue; fi
    rm -rf b
    cmake -S proj -B b -G "$gen" >cfg.txt 2>&1 || { cat cfg.txt; fail "$gen: configure failed"; }
    cmake --build b >build1.txt 2>&1 || { cat build1.txt; fail "$gen: build failed"; }
    for f in sample.h sampleUser.c sampleServer.h sample.json sample.mig.d; do
      [[ -s b/mig/$f ]] || fail "$gen: b/mig/$f missing"
    done
    [[ ! -e b/mig/sampleServer.c ]] || fail "$gen: server stubs written although not requested"
    expect_in b/mig/sample.json '"extra_routine"'
    expect_in b/mig/sample.json '"from_inc"'
    cmake --build b >build2.txt 2>&1
    expect_not_in build2.txt "mig sample.defs"
    sleep 1
    touch proj/inc/extra.defs
    cmake --build b >build3.txt 2>&1
    expect_in build3.txt "mig sample.defs"
  done
}

# An installed (and moved) tree: mig finds share/mig/defs next to itself, and
# find_package(OpenMIG) gives OpenMIG::mig and mig_generate().
case_installed_tree() {
  local build
  build=$(dirname "$(dirname "$MIG")")
  [[ -f $build/cmake_install.cmake ]] || { echo "SKIP: $MIG is not in a CMake build tree"; exit 0; }
  cmake --install "$build" --prefix "$WORK/inst" >install.txt 2>&1 || { cat install.txt; fail "install failed"; }
  mv inst moved
  unset MIG_DEFS_DIR
  write_sample
  run 0 "$WORK/moved/bin/mig" -MD --emit-json s.json sample.defs
  expect_in s.json.d "$WORK/moved/share/mig/defs/mach/std_types.defs"
  mkdir proj
  cp sample.defs proj/
  {
    echo 'cmake_minimum_required(VERSION 3.20)'
    echo 'project(pkg NONE)'
    echo 'find_package(OpenMIG REQUIRED)'
    echo 'mig_generate(DEFS sample.defs JSON sample.json)'
    echo 'add_custom_target(gen ALL DEPENDS "${CMAKE_CURRENT_BINARY_DIR}/mig/sample.json")'
  } >proj/CMakeLists.txt
  cmake -S proj -B b -DCMAKE_PREFIX_PATH="$WORK/moved" >cfg.txt 2>&1 || { cat cfg.txt; fail "find_package(OpenMIG) failed"; }
  cmake --build b >build.txt 2>&1 || { cat build.txt; fail "build failed"; }
  expect_in b/mig/sample.json '"demo_sub"'
}

# Command lines copied from real build files (shared/reference/mig-command-lines.md): each must
# work unchanged and write exactly the files that build expects.
case_real_command_lines() {
  expect_files() { # expect_files <dir> <file>...: exactly these files (besides inputs) exist
    local dir=$1; shift
    local want got
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    got=$(cd "$dir" && ls | grep -v '\.defs$' | sort | tr '\n' ' ')
    [[ $want == "$got" ]] || fail "in $dir: expected [$want], got [$got]"
  }
  # WebKit WTF: run in the derived-sources dir; default names from the subsystem, plus -sheader.
  mkdir webkit && printf '#include <mach/mach_exc.defs>\n' >webkit/MachExceptions.defs
  (cd webkit && run 0 "$MIG" -DMACH_EXC_SERVER_TASKIDTOKEN_STATE -sheader MachExceptionsServer.h MachExceptions.defs)
  expect_files webkit MachExceptionsServer.h mach_exc.h mach_excServer.c mach_excUser.c err.txt out.txt
  expect_in webkit/mach_excServer.c catch_mach_exception_raise_state_identity_protected
  # lldb debugserver: no output flags, -arch and -isysroot; names follow the subsystem.
  mkdir lldb && printf '#include <mach/mach_exc.defs>\n' >lldb/dbgnub-mig.defs
  (cd lldb && run 0 "$MIG" -arch arm64 -isysroot /nonexistent/MacOSX.sdk dbgnub-mig.defs)
  expect_files lldb mach_exc.h mach_excServer.c mach_excUser.c err.txt out.txt
  # Heimdal reply-only: server side discarded through /dev/null, separated -I.
  mkdir -p heimdal/src && write_sample heimdal/src/heim_ipc_reply.defs
  (cd heimdal && run 0 "$MIG" -header heim_ipc_reply.h -user heim_ipc_replyUser.c -sheader /dev/null \
     -server /dev/null -Isrc src/heim_ipc_reply.defs)
  expect_files heimdal heim_ipc_reply.h heim_ipc_replyUser.c src err.txt out.txt
  # xnu, user header only.
  mkdir xnu && write_sample xnu/task.defs
  (cd xnu && run 0 "$MIG" -novouchers -DMACH_KERNEL_PRIVATE -server /dev/null -user /dev/null -header task.h task.defs)
  expect_files xnu task.h err.txt out.txt
  # libdispatch: headers only, user and server stubs discarded.
  mkdir dispatch && write_sample dispatch/protocol.defs
  (cd dispatch && run 0 "$MIG" -I. -arch x86_64 -header protocol.h -sheader protocolServer.h -user /dev/null \
     -server /dev/null protocol.defs)
  expect_files dispatch protocol.h protocolServer.h err.txt out.txt
  # Darling: -arch and -target triple, every output named.
  mkdir darling && write_sample darling/x.defs
  (cd darling && run 0 "$MIG" -arch x86_64 -target x86_64-apple-darwin11 -user xUser.c -header x.h \
     -server xServer.c -sheader xServer.h -DDARLING -I. x.defs)
  expect_files darling x.h xServer.c xServer.h xUser.c err.txt out.txt
}
# Old Mac (lone \r) and DOS (\r\n) line ends count one line each, with gcc and with a
# preprocessor that passes the bytes through unchanged (positions, excerpt, line markers).
case_line_breaks() {
  printf '#!/bin/sh\nfor last; do :; done\nexec cat "$last"\n' >passcpp
  chmod +x passcpp
  for eol in '\r' '\r\n' '\n'; do
    printf "# 1 \"cr.defs\"${eol}subsystem cr 1;${eol}${eol}/* two${eol}lines */ routine @bad;${eol}# 7 \"inc.defs\"${eol}  @x${eol}" >cr.defs
    for cc in "$PWD/passcpp" gcc; do
      run 1 "$MIG" -cc "$cc" --no-color --emit-json o.json cr.defs
      expect_in err.txt "cr.defs:4:18: error: unexpected character '@'"
      expect_in err.txt "inc.defs:7:3: error:"
      # The excerpt is the one line (gcc blanks the comment out).
      grep -qE '^(lines \*/| +) routine @bad;$' err.txt || { cat -A err.txt; fail "excerpt ($eol, $cc)"; }
      expect_not_in err.txt $'\r'
    done
  done
}
# A .defs file too large for the lexer (2 GiB - 3 bytes) is refused whole, before running the
# preprocessor, with its size and the limit; nothing is written. Sparse files: no disk, no time.
case_input_too_large() {
  for size in 2147483646 3221225472 5368709120; do
    rm -f big.defs && truncate -s "$size" big.defs
    run 1 "$MIG" -user u.c -server s.c -header h.h --emit-json o.json -MD big.defs
    expect_in err.txt "mig: error: cannot open 'big.defs': it is $size bytes, more than the 2147483645 bytes mig can read [E0408]"
    [[ $(grep -c 'error' err.txt) == 2 ]] || { cat err.txt; fail "more than one error for $size"; }
    for f in u.c s.c h.h o.json o.json.d; do [[ ! -e $f ]] || fail "$f written for $size"; done
  done
  rm big.defs
}

# -iheader is written for KernelServer interfaces only (as Apple's mig); -dheader for any.
case_iheader_kernel_only() {
  write_sample
  run 0 "$MIG" -header /dev/null -user /dev/null -server /dev/null -iheader i.h -dheader d.h sample.defs
  [[ ! -e i.h ]] || fail "-iheader written for a user-space server"
  expect_in d.h "#define MACH_ID_ADD 4000"
  sed 's/^subsystem demo_sub/subsystem KernelServer demo_sub/' sample.defs >kernel.defs
  run 0 "$MIG" -header /dev/null -user /dev/null -server /dev/null -iheader i.h kernel.defs
  expect_in i.h "#define add add_external"
  expect_in i.h "#define ping ping_external"
}

# -arch / -target select the Apple target's macros with every preprocessor: clang gets -target,
# gcc (which ignores -arch) gets the host's arch/OS macros undefined and the target's defined.
# thread_state_t (THREAD_STATE_MAX in mach_types.defs) is 1296 words on arm, 614 on x86.
case_arch_macros() {
  cat >arch.defs <<'EOF'
subsystem archtest 100;
#include <mach/std_types.defs>
#include <mach/mach_types.defs>
routine get_state(server : mach_port_t; out state : thread_state_t);
#if defined(__APPLE__) && defined(__MACH__) && !defined(__linux__) && __LP64__
#if defined(__arm64__) && defined(__aarch64__) && !defined(__x86_64__)
routine only_arm64(server : mach_port_t);
#endif
#if defined(__x86_64__) && !defined(__arm64__) && !defined(__aarch64__)
routine only_x86_64(server : mach_port_t);
#endif
#ifdef __arm64e__
routine only_arm64e(server : mach_port_t);
#endif
#endif
EOF
  # check_arch <json> <thread_state count> <routines present...>
  check_arch() {
    local json=$1 count=$2 r
    shift 2
    expect_in "$json" "\"count\": $count,"
    for r in only_arm64 only_x86_64 only_arm64e; do
      if [[ " $* " == *" $r "* ]]; then expect_in "$json" "\"$r\""; else expect_not_in "$json" "\"$r\""; fi
    done
  }
  local ccs=(gcc)
  if command -v clang >/dev/null; then ccs+=(clang); else echo "note: no clang, gcc only" >&2; fi
  for cc in "${ccs[@]}"; do
    run 0 "$MIG" -cc "$cc" -arch arm64 -Werror --emit-json a.json arch.defs
    check_arch a.json 1296 only_arm64
    run 0 "$MIG" -cc "$cc" -arch arm64e -Werror --emit-json e.json arch.defs
    check_arch e.json 1296 only_arm64 only_arm64e
    run 0 "$MIG" -cc "$cc" -arch x86_64 -Werror --emit-json x.json arch.defs
    check_arch x.json 614 only_x86_64
    run 0 "$MIG" -cc "$cc" -target arm64-apple-macos11 -Werror --emit-json t.json arch.defs
    check_arch t.json 1296 only_arm64
    # The user's -D/-U come after mig's and win.
    run 0 "$MIG" -cc "$cc" -arch arm64 -DTHREAD_STATE_MAX=144 --emit-json d.json arch.defs
    check_arch d.json 144 only_arm64
  done
  # gcc and an architecture without a macro list: a warning, the host's macros.
  run 0 "$MIG" -cc gcc -arch ppc64 --emit-json p.json arch.defs
  expect_in err.txt "option '-arch ppc64' is ignored"
  expect_in err.txt "[E0412]"
  expect_not_in p.json '"only_'
}

# Several .defs files (Apple's mig.sh): each compiled in turn with the same options.
write_two() {
  mkdir -p sub
  printf 'subsystem alpha 100;\n#include <mach/std_types.defs>\nroutine a_one(server : mach_port_t; x : int);\n' >a.defs
  # b.defs includes a file of its own directory: -I<dir of the .defs> is per file.
  printf 'routine b_local(server : mach_port_t);\n' >sub/local.defs
  printf 'subsystem beta 200;\n#include <mach/std_types.defs>\n#include "local.defs"\nroutine b_two(server : mach_port_t; y : int);\n' >sub/b.defs
}

case_several_files() {
  write_two
  # Default names: each file's come from its own subsystem, in the current directory.
  run 0 "$MIG" -MD -MF all.d a.defs -user late.c sub/b.defs
  expect_in err.txt "option '-user late.c' after the first .defs file is ignored [E0404]"
  [[ ! -e late.c ]] || fail "an option after the first file was used"
  # -D NAME after a file: mig.sh would ignore -D and read NAME as a .defs file. Refused before
  # anything is compiled (a joined -DNAME there is only ignored with E0404, as by mig.sh).
  mkdir -p before && mv alpha.h alphaUser.c alphaServer.c beta.h betaUser.c betaServer.c before/
  run 2 "$MIG" a.defs -D WITH_B_EXTRA sub/b.defs
  expect_in err.txt "'-D WITH_B_EXTRA' comes after the first .defs file"
  expect_in err.txt "[E0420]"
  [[ ! -e alpha.h && ! -e beta.h && ! -e WITH_B_EXTRA ]] || fail "written after E0420: $(ls)"
  mv before/* . && rmdir before
  for f in alpha.h alphaUser.c alphaServer.c beta.h betaUser.c betaServer.c; do
    [[ -s $f ]] || fail "$f missing: $(ls)"
  done
  expect_in betaUser.c "b_local"
  expect_not_in alphaUser.c "b_two"
  # -MD: each output's .d names its own file's dependencies; -MF: one rule for the whole run.
  expect_in alpha.h.d "a.defs"
  expect_not_in alpha.h.d "b.defs"
  expect_in beta.h.d "sub/local.defs"
  for t in alpha.h alphaUser.c betaServer.c a.defs sub/b.defs sub/local.defs; do expect_in all.d "$t"; done
  # Named outputs that are not files are fine: both headers go to standard output, in order.
  run 0 "$MIG" -header - -user /dev/null -server /dev/null a.defs sub/b.defs
  [[ $(grep -c '_alpha_user_\|_beta_user_' out.txt) -ge 2 ]] || fail "headers on stdout: $(head out.txt)"
  alpha_line=$(grep -n 'a_one' out.txt | head -1 | cut -d: -f1)
  beta_line=$(grep -n 'b_two' out.txt | head -1 | cut -d: -f1)
  (( alpha_line < beta_line )) || fail "stdout not in file order"
}

case_several_files_failure() {
  write_two
  printf 'subsystem broken 300;\n#include <mach/std_types.defs>\nroutine bad(server : mach_port_t; a : no_such_type_t);\n' >bad.defs
  echo "old broken header" >broken.h
  # Stops at the first failing file (mig.sh): the earlier file's outputs stay, the failing one
  # writes nothing, and the later ones are not compiled.
  run 1 "$MIG" -MF all.d a.defs bad.defs sub/b.defs
  expect_in err.txt "no_such_type_t"
  for f in alpha.h alphaUser.c alphaServer.c; do [[ -s $f ]] || fail "$f of the first file missing"; done
  [[ $(cat broken.h) == "old broken header" ]] || fail "the failing file changed its output"
  [[ ! -e brokenUser.c && ! -e beta.h && ! -e betaUser.c ]] || fail "written after the failure: $(ls)"
  # -MF describes what was written: the first file only.
  expect_in all.d "alphaUser.c"
  expect_not_in all.d "bad.defs"
  expect_not_in all.d "beta"
  [[ -z $(ls -A | grep -F '.tmp') ]] || fail "temporary left: $(ls -A)"
  # A missing second file: E0408, exit 1, the first file's outputs written.
  rm -f alpha*
  run 1 "$MIG" a.defs missing.defs
  expect_in err.txt "[E0408]"
  [[ -s alphaUser.c ]] || fail "first file not written"
}

case_several_files_conflicts() {
  write_two
  # A named output would be overwritten by every file: refused before anything runs.
  run 2 "$MIG" -user x.c a.defs sub/b.defs
  expect_in err.txt "'x.c' would be written for 'sub/b.defs' and again for another .defs file of this run [E0419]"
  run 2 "$MIG" --emit-json j.json a.defs sub/b.defs
  expect_in err.txt "[E0419]"
  [[ ! -e x.c && ! -e j.json && ! -e alpha.h ]] || fail "written on a usage error: $(ls)"
  # Two files declaring one subsystem: the second would overwrite the first's default names.
  sed 's/routine a_one/routine a_other/' a.defs >a2.defs
  run 2 "$MIG" a.defs a2.defs
  expect_in err.txt "'alpha.h' would be written for 'a2.defs' and again for another .defs file of this run [E0419]"
  expect_in alphaUser.c "a_one"
  expect_not_in alphaUser.c "a_other"
  # -i PREFIX: one file per routine; the same routine in two files is caught the same way.
  rm -f alpha*
  run 2 "$MIG" -i p_ -server /dev/null -header /dev/null a.defs a.defs
  expect_in err.txt "'p_a_one.c' would be written for 'a.defs'"
}

# -mach_msg2: Apple's newer KernelServer form is not generated; said for KernelServer only.
case_mach_msg2_kernel_only() {
  write_sample
  run 0 "$MIG" -Werror -mach_msg2 -header /dev/null -user /dev/null -server plain.c sample.defs
  expect_not_in err.txt "[E0412]"
  sed 's/^subsystem demo_sub/subsystem KernelServer demo_sub/' sample.defs >kernel.defs
  run 0 "$MIG" -header /dev/null -user /dev/null -server classic.c -sheader classic.h kernel.defs
  run 0 "$MIG" -mach_msg2 -header /dev/null -user /dev/null -server msg2.c -sheader msg2.h kernel.defs
  expect_in err.txt "option '-mach_msg2' is ignored"
  expect_in err.txt "[E0412]"
  cmp -s classic.c msg2.c || fail "-mach_msg2 changed the server file"
  cmp -s classic.h msg2.h || fail "-mach_msg2 changed the server header"
  run 1 "$MIG" -Werror -mach_msg2 -header /dev/null -user /dev/null -server w.c kernel.defs
  [[ ! -e w.c ]] || fail "written although -Werror made the warning an error"
}

"case_$CASE"
echo "ok [$CASE]"
