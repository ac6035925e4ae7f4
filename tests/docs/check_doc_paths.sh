#!/usr/bin/env bash
# Every file or folder of this repository that README.md and docs/*.md name in `backquotes`
# (a path starting with one of the tree's top folders) exists: the pages must not send readers to
# files that moved or never were. Wildcards, {a,b} and <placeholders> are not checked.
# usage: check_doc_paths.sh <source dir>
set -euo pipefail
cd "$1"
tops='compiler|runtime|tests|scripts|defs|examples|cmake|docs|\.ci'
missing=0
while IFS=: read -r page line ref; do
  path=${ref//\`/}
  case $path in *'*'*|*'{'*|*'<'*|*'$'*) continue ;; esac
  path=${path%%:*}           # file:line references
  if [[ ! -e $path ]]; then
    echo "FAIL: $page:$line: \`$path\` is not in the repository" >&2
    missing=$((missing + 1))
  fi
done < <(grep -onE "\`($tops)/[A-Za-z0-9_.,/*{}<>\$-]*\`" README.md docs/*.md)
((missing == 0)) && echo "ok: every path the documentation names exists"
((missing == 0))
