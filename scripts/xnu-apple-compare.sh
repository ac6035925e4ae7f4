#!/bin/sh
# Compares OpenMIG's output with Apple's on xnu's interfaces (the files xnu-compile-check.sh
# reads): for every file both MIGs accept, the size and the offset of every member of each
# __Request__/__Reply__ typedef (measured by compiling a small program against each server
# header with cc, or the user header when the server's needs kernel headers; our layout
# assertions are compiled out there, so a layout that differs is measured, not refused), the
# msgh_ids (subsystem_to_name_map_<subsys>) and the prototypes of the user and server headers
# (text, whitespace collapsed). Prints one line per file and configuration,
# the first differences of each, then the counts.
#
#   scripts/xnu-apple-compare.sh XNU_DIR PREFIX MIGCOM [MIG] [WORK]
#     XNU_DIR  an xnu source tree
#     PREFIX   an OpenMIG install prefix (headers for both outputs; PREFIX/bin/mig by default)
#     MIGCOM   Apple's migcom, built from bootstrap_cmds (docs/performance.md says how); it is
#              run as Apple's mig.sh runs it: cc -E -D__MACH30__ <defines> -I... FILE | migcom
#     MIG      the mig to compare (default PREFIX/bin/mig)
#     WORK     scratch directory (default: a new one under ${TMPDIR:-/tmp})
#   CONFIGS="user KERNEL_USER KERNEL_SERVER" (default user) as in xnu-compile-check.sh.
#   CPPFLAGS_EXTRA adds cpp options to both runs (e.g. -DKERNEL_PRIVATE). FILES="osfmk/mach/task.defs
#   ..." (paths under XNU_DIR) compares only those. MIGFLAGS="-novouchers" adds options to both
#   MIGs (xnu's kernel build passes that one). MEASURE_CFLAGS adds options to the measuring
#   compilations (-I for headers an interface imports from outside PREFIX).
set -u
usage="usage: xnu-apple-compare.sh XNU_DIR PREFIX MIGCOM [MIG] [WORK]"
xnu=${1:?$usage}
prefix=${2:?$usage}
migcom=${3:?$usage}
mig=${4:-$prefix/bin/mig}
work=${5:-$(mktemp -d "${TMPDIR:-/tmp}/xnu-compare.XXXXXX")}
configs=${CONFIGS:-user}
cc=${CC:-cc}
mkdir -p "$work"

files=${FILES:-$(cd "$xnu" && ls osfmk/mach/*.defs osfmk/mach_debug/*.defs osfmk/device/device.defs \
        libsyscall/mach/*.defs 2>/dev/null)}
[ -n "$files" ] || { echo "no .defs files under $xnu" >&2; exit 2; }

# members HEADER: "typedef member..." for every __Request__/__Reply__ typedef of a server header.
members() {
  awk '
    /^[ \t]*typedef struct \{/ { n = 0; inside = 1; next }
    inside && /^[ \t]*\} __(Request|Reply)__[A-Za-z0-9_]+_t/ {
      name = $2; line = name
      for (i = 1; i <= n; i++) line = line " " m[i]
      print line; inside = 0; next
    }
    inside && /^[ \t]*\}/ { inside = 0; next }
    inside && /;[ \t]*$/ && !/^[ \t]*\/\*/ {
      s = $0; sub(/;[ \t]*$/, "", s); sub(/\[[^]]*\][ \t]*$/, "", s)
      k = split(s, w, /[ \t*]+/); m[++n] = w[k]
    }' "$1"
}

# measure HEADER LIST OUT: compiles and runs a program printing sizeof and offsetof of LIST.
measure() {
  {
    echo '#include <stddef.h>'
    echo '#include <stdio.h>'
    echo "#include \"$1\""
    echo 'int main(void) {'
    while read -r type rest; do
      printf '  printf("size %s %%zu\\n", sizeof(%s));\n' "$type" "$type"
      for m in $rest; do
        printf '  printf("offset %s %s %%zu\\n", offsetof(%s, %s));\n' "$type" "$m" "$type" "$m"
      done
    done <"$2"
    echo '  return 0;'
    echo '}'
  } >"$3.c"
  # shellcheck disable=SC2086
  "$cc" -std=gnu11 -w "-D__MIG_LAYOUT_ASSERT(e, m)=" -I"$prefix/include" ${MEASURE_CFLAGS:-} -o "$3.bin" "$3.c" >"$3.log" 2>&1 && "$3.bin" >"$3"
}

# ids HEADER: the name map lines of a user header, sorted.
ids() {
  sed -n '/^#define subsystem_to_name_map_/,/^#endif/p' "$1" | grep '{ "' | tr -d ' \t\\,' | sort
}

# prototypes HEADER: each "/* [Simple]Routine name */" declaration on one line.
prototypes() {
  awk '
    /^\/\* (Simple)?[Rr]outine [A-Za-z0-9_]+ \*\/$/ { on = 1; text = ""; next }
    on && /^#/ { next }
    on { text = text " " $0 }
    on && /\);[ \t]*$/ { gsub(/[ \t]+/, " ", text); print text; on = 0 }' "$1"
}

for config in $configs; do
  both=0; same=0; differ=0; only_ours=0; only_apple=0; neither=0; unmeasured=0
  defines=
  [ "$config" = user ] || defines="-D$config"
  for f in $files; do
    name=$(echo "$f" | tr '/' '_' | sed 's/\.defs$//')
    out="$work/$config/$name"
    rm -rf "$out"; mkdir -p "$out/apple" "$out/ours"
    { echo "#line 1 \"$xnu/$f\""; cat "$xnu/$f"; } >"$out/apple/in.c"
    apple_ok=0; ours_ok=0
    # shellcheck disable=SC2086
    "$cc" -E -D__MACH30__ $defines ${CPPFLAGS_EXTRA:-} -I"$xnu/osfmk" -I"$xnu/libsyscall" \
      -I"$(dirname "$xnu/$f")" "$out/apple/in.c" 2>"$out/apple/cpp.log" |
      (cd "$out/apple" && "$migcom" ${MIGFLAGS:-} -user User.c -header User.h -server Server.c \
        -sheader Server.h) >"$out/apple/migcom.log" 2>&1 && [ -s "$out/apple/Server.h" ] && apple_ok=1
    # shellcheck disable=SC2086
    "$mig" $defines ${MIGFLAGS:-} ${CPPFLAGS_EXTRA:-} -I"$xnu/osfmk" -I"$xnu/libsyscall" \
      -user "$out/ours/User.c" -header "$out/ours/User.h" -server "$out/ours/Server.c" \
      -sheader "$out/ours/Server.h" "$xnu/$f" >"$out/ours/mig.log" 2>&1 && ours_ok=1
    case "$apple_ok$ours_ok" in
      00) neither=$((neither + 1)); echo "$config $f: refused by both"; continue ;;
      10) only_apple=$((only_apple + 1)); echo "$config $f: DIFFERS: only Apple's accepts it"; continue ;;
      01) only_ours=$((only_ours + 1)); echo "$config $f: only ours accepts it"; continue ;;
    esac
    both=$((both + 1))
    members "$out/apple/Server.h" >"$out/members"
    : >"$out/diff"
    note=
    measured=1
    # A KernelServer's Server.h needs kernel headers; its User.h declares the same typedefs.
    if { measure "$out/apple/Server.h" "$out/members" "$out/apple/layout" &&
         measure "$out/ours/Server.h" "$out/members" "$out/ours/layout"; } ||
       { note="; layouts measured with User.h" &&
         measure "$out/apple/User.h" "$out/members" "$out/apple/layout" &&
         measure "$out/ours/User.h" "$out/members" "$out/ours/layout"; }; then
      diff "$out/apple/layout" "$out/ours/layout" | sed 's/^/layout /' >>"$out/diff"
    else
      unmeasured=$((unmeasured + 1))
      measured=0
      note="; layout not measured: $(grep -m1 error "$out"/*/layout.log | sed "s|$out/||")"
    fi
    ids "$out/apple/User.h" >"$out/apple/ids"; ids "$out/ours/User.h" >"$out/ours/ids"
    diff "$out/apple/ids" "$out/ours/ids" | sed 's/^/ids /' >>"$out/diff"
    for h in User.h Server.h; do
      prototypes "$out/apple/$h" >"$out/apple/$h.protos"
      prototypes "$out/ours/$h" >"$out/ours/$h.protos"
      diff "$out/apple/$h.protos" "$out/ours/$h.protos" | sed "s/^/$h prototypes /" >>"$out/diff"
    done
    typedefs=$(wc -l <"$out/members")
    routines=$(wc -l <"$out/apple/ids")
    if [ -s "$out/diff" ]; then
      differ=$((differ + 1))
      echo "$config $f: DIFFERS ($typedefs typedefs, $routines ids$note):"
      grep '[<>]' "$out/diff" | head -6 | sed 's/^/    /'
    else
      same=$((same + 1))
      what=identical
      [ "$measured" = 1 ] || what="ids and prototypes identical"
      echo "$config $f: $what ($typedefs typedefs, $routines ids$note)"
    fi
  done
  echo "== $config: both accept $both (identical $same, differ $differ; layout not measured" \
       "$unmeasured); only Apple's accepts $only_apple; only ours $only_ours; neither $neither"
done
echo "outputs and differences: $work"
