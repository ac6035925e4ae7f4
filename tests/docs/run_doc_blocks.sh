#!/usr/bin/env bash
# Runs the shell examples of docs/*.md, so that the documentation stays true. Fenced blocks, by
# their info string (only its first word shows when the page is rendered):
#   ```sh [cwd=source]    run with bash -e; in a scratch directory per page, or with cwd=source
#                         in the source tree. A block followed by an ```output block must print
#                         exactly that (stdout and stderr together).
#   ```<lang> file=NAME   not run: written to NAME in the page's scratch directory, for the
#                         blocks after it (a .defs file, a header).
#   ```sh-norun, ```sh norun, ```text, ```console, ...  shown only: not meant to be run as they
#                         are (`sh norun` keeps sh highlighting, for README.md).
# ```bash and ```shell are refused: say sh, or sh-norun.
# The blocks see an installed OpenMIG first on PATH (cmake --install of the build directory into a
# temporary prefix; PKG_CONFIG_PATH and CMAKE_PREFIX_PATH point at it), "/tmp/" is mapped to a
# private directory, and FUZZ_SECONDS=5 shortens fuzzing runs written ${FUZZ_SECONDS:-600}.
# usage: run_doc_blocks.sh <build dir> <source dir> [page.md ...]   (default: every docs/*.md)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
shift 2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/openmig-docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
pages=("$@")
((${#pages[@]})) || pages=("$SRC"/docs/*.md)

cmake --install "$BUILD" --prefix "$WORK/prefix" >"$WORK/install.txt" 2>&1 ||
  { cat "$WORK/install.txt"; echo "FAIL: cmake --install"; exit 1; }
export PATH="$WORK/prefix/bin:$PATH"
export PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" CMAKE_PREFIX_PATH="$WORK/prefix"
export FUZZ_SECONDS=5 NO_COLOR=1
mkdir "$WORK/tmp"

failures=0 ran=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run_block <page> <line> <cwd> <script file> <expected output file or "">
run_block() {
  local page=$1 line=$2 cwd=$3 script=$4 expect=$5 out="$WORK/out.txt"
  sed -i "s#/tmp/#$WORK/tmp/#g" "$script"
  ran=$((ran + 1))
  if ! (cd "$cwd" && bash -e "$script") >"$out" 2>&1; then
    fail "$page:$line: the block failed:"
    sed 's/^/    /' "$script" >&2
    echo "  output:" >&2
    tail -n 30 "$out" | sed 's/^/    /' >&2
    return
  fi
  if [[ -n $expect ]] && ! diff -u "$expect" "$out" >"$WORK/diff.txt"; then
    fail "$page:$line: the output differs from the page's (--- page, +++ actual):"
    cat "$WORK/diff.txt" >&2
    return
  fi
  echo "ok: $page:$line"
}

for page in "${pages[@]}"; do
  name=$(basename "$page" .md)
  scratch="$WORK/pages/$name"
  mkdir -p "$scratch"
  # Split the page into blocks: meta lines "start|info|indent" and bodies block<N>.txt.
  awk -v dir="$WORK" '
    !inb && match($0, /^ *```/) {
      inb = 1; n++; ind = RLENGTH - 3; info = substr($0, RLENGTH + 1)
      printf "%d|%d|%s\n", n, NR, info > (dir "/blocks.txt"); body = dir "/block" n ".txt"
      printf "" > body; next }
    inb && match($0, /^ *```[ \t]*$/) { inb = 0; close(body); last = NR; next }
    inb { print substr($0, ind + 1) > body; next }
    /[^ \t]/ { printf "%d|text\n", NR > (dir "/blocks.txt") }
  ' "$page"
  [[ -f $WORK/blocks.txt ]] || continue
  mapfile -t meta <"$WORK/blocks.txt"
  rm -f "$WORK/blocks.txt"
  for ((i = 0; i < ${#meta[@]}; i++)); do
    IFS='|' read -r n line info <<<"${meta[i]}"
    [[ $line == text ]] && continue
    read -r lang attrs <<<"$info"
    body="$WORK/block$n.txt"
    case $lang in
      bash|shell) fail "$name.md:$line: \`\`\`$lang: write \`\`\`sh (run by this test) or \`\`\`sh-norun" ;;
      sh)
        [[ " $attrs " == *" norun "* ]] && continue
        cwd=$scratch
        [[ " $attrs " == *" cwd=source "* ]] && cwd=$SRC
        expect=""
        # An ```output block right after it (nothing but blank lines between)?
        if ((i + 1 < ${#meta[@]})); then
          IFS='|' read -r n2 line2 info2 <<<"${meta[i + 1]}"
          if [[ $line2 != text && ${info2%% *} == output ]]; then expect="$WORK/block$n2.txt"; fi
        fi
        run_block "$name.md" "$line" "$cwd" "$body" "$expect"
        ;;
      *)
        if [[ " $attrs " =~ \ file=([^ ]+)\  ]]; then cp "$body" "$scratch/${BASH_REMATCH[1]}"; fi
        ;;
    esac
  done
done
echo "$ran shell blocks run, $failures failed"
((failures == 0))
