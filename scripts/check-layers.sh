#!/usr/bin/env bash
# Keeps the layering of the source tree: includes between folders only point down.
#
# Usage: check-layers.sh [TOP]      (TOP defaults to the repository root)
#
# A layer is a folder with a README.md holding one line "May include: a, b" (or "May include:
# nothing"), naming the sibling folders its files may include from. Layers are looked for under
# the include roots below; each root is the folder that #include paths are written from, so a
# quoted include "X/file.h" names layer X of that root. runtime/machd and runtime/machctl are
# layers of their own whose includes name layers of runtime/src.
#
# Fails (exit 1, one line per finding) when
#   - a file includes "X/..." where X is a layer its folder's README does not allow;
#   - a file includes a bare "file.h" that is not beside it (a header from another folder must be
#     written with its folder, so the arrow is visible);
#   - a folder holding sources under a root has no README with a "May include:" line;
#   - the "May include:" lines of one root form a cycle (then no layer is "above" another).
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2

# root|extra-layer-dirs: each root's layers are its subfolders; extra dirs are checked against
# the root's layers too.
roots=("compiler|" "runtime/src|runtime/machd runtime/machctl")
status=0
fail() { echo "check-layers: $*"; status=1; }

allowed_of() { # README -> the allowed names, space-separated ("" for nothing); 1 when missing
  local line
  line=$(grep -m1 -E '^May include:' "$1" 2>/dev/null) || return 1
  line=${line#May include:}
  line=${line//,/ }
  [[ $line =~ ^[[:space:]]*nothing[[:space:]]*$ ]] && line=""
  echo $line
}

is_source() { [[ $1 =~ \.(c|h|y|l|def)$ ]]; }

check_dir() { # root layer-name dir allowed-names...
  local root=$1 self=$2 dir=$3; shift 3
  local allowed=" $* " file inc target
  while IFS= read -r file; do
    while IFS= read -r inc; do
      if [[ $inc == */* ]]; then
        target=${inc%%/*}
        [[ -d $root/$target && -f $root/$target/README.md ]] || continue  # not a layer path
        [[ $target == "$self" || $allowed == *" $target "* ]] ||
          fail "$file includes \"$inc\": layer '$self' may not include '$target' (allowed: ${*:-nothing})"
      else
        [[ -e $(dirname "$file")/$inc ]] ||
          generated_header "$inc" || fail "$file includes \"$inc\": not beside it; write the folder (\"layer/$inc\")"
      fi
    done < <(sed -n -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$file")
  done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.y' -o -name '*.l' -o -name '*.def' \) | sort)
}

# Headers made at build time, beside the file that includes them in the build tree.
# (exc.h, mach_exc.h: libmach's exc / mach_exc client stubs, runtime/CMakeLists.txt.)
# (task_port.h, task_portServer.h: the task port interface, runtime/src/api/task_port.defs.)
generated_header() { [[ $1 == parser.h || $1 == lexer.h || $1 == exc.h || $1 == mach_exc.h || $1 == task_port.h || $1 == task_portServer.h ]]; }

check_cycles() { # root: depth-first search over the May-include graph
  local root=$1 layer
  declare -gA edges=() color=()
  for layer in "${layers[@]}"; do edges[$layer]=${allowed_map[$layer]}; color[$layer]=0; done
  for layer in "${layers[@]}"; do
    [[ ${color[$layer]} == 0 ]] && visit "$root" "$layer" "$layer"
  done
}
visit() { # root layer path
  local root=$1 node=$2 path=$3 next
  color[$node]=1
  for next in ${edges[$node]}; do
    [[ -n ${color[$next]+x} ]] || { fail "$root/$node/README.md: May include names '$next', not a layer of $root"; continue; }
    if [[ ${color[$next]} == 1 ]]; then fail "$root: the layers form a cycle: $path -> $next"
    elif [[ ${color[$next]} == 0 ]]; then visit "$root" "$next" "$path -> $next"; fi
  done
  color[$node]=2
}

for spec in "${roots[@]}"; do
  root=${spec%%|*}; extras=${spec#*|}
  [[ -d $root ]] || { fail "no folder $root"; continue; }
  declare -A allowed_map=()
  layers=()
  # Sources directly in the root (not in a layer) have no place in the layering.
  while IFS= read -r file; do
    is_source "$file" && fail "$file: a source directly in $root/, outside every layer folder"
  done < <(find "$root" -maxdepth 1 -type f | sort)
  for dir in "$root"/*/; do
    [[ -d $dir ]] || continue
    dir=${dir%/}; name=${dir##*/}
    [[ -n $(find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.y' -o -name '*.l' \)) ]] || continue
    if ! names=$(allowed_of "$dir/README.md"); then
      fail "$dir: holds sources but no README.md with a 'May include:' line"
      continue
    fi
    layers+=("$name"); allowed_map[$name]=$names
  done
  for name in "${layers[@]}"; do
    # shellcheck disable=SC2086
    check_dir "$root" "$name" "$root/$name" ${allowed_map[$name]}
  done
  check_cycles "$root"
  for dir in $extras; do
    [[ -d $dir ]] || continue
    if ! names=$(allowed_of "$dir/README.md"); then
      fail "$dir: holds sources but no README.md with a 'May include:' line"; continue
    fi
    # shellcheck disable=SC2086
    check_dir "$root" "${dir##*/}" "$dir" $names
  done
  unset allowed_map
done

if ((status == 0)); then echo "check-layers: ok (includes between folders point only down)"; fi
exit $status
