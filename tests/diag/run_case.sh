#!/usr/bin/env bash
# Runs one tests/diag case through the real mig: `mig --emit-json <tmp>/out.json <case>`.
# Line 1 of the case is `/* expect: <line>:<col>: error|warning: [E0123] */`. An optional line 2
# `/* mig: <words> */` changes the run: `raw` feeds the file to mig without the C preprocessor
# (for lexer cases that cpp itself would reject); `not-first` looks for the first diagnostic with
# the expected id instead of the very first one (for E0009, which needs other errors first).
# An optional `/* args: ... */` line (line 2 or 3) gives extra mig arguments, put before the case
# file; `@TMP@` in them is a scratch directory, and when `@CASE@` appears the case path goes
# there and is not appended (for command-line diagnostics). An optional `/* env: NAME=value ... */`
# line (line 2 or 3) sets environment variables for the run (`@TMP@` works there too). `0:0` in the expect line means a
# diagnostic without a position (`mig: error: ... [E0400]`).
# Checks: the first diagnostic mig prints has that id, line, column and severity and names the
# case file; errors exit non-zero and leave no output file; warnings exit 0 and write it.
set -u
mig=$1
case_file=$2
fail() { echo "FAIL $(basename "$case_file"): $*"; [ -s "$tmp/stderr" ] && sed 's/^/  | /' "$tmp/stderr"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

header=$(head -n 1 "$case_file")
re='^/\* expect: ([0-9]+):([0-9]+): (error|warning): \[(E[0-9]{4})\] \*/$'
[[ $header =~ $re ]] || fail "line 1 must be '/* expect: <line>:<col>: error|warning: [E0123] */', not: $header"
want_line=${BASH_REMATCH[1]} want_col=${BASH_REMATCH[2]} want_sev=${BASH_REMATCH[3]} want_id=${BASH_REMATCH[4]}
case_id=$(basename "$case_file" | cut -c1-5)
[ "$case_id" = "$want_id" ] || fail "file name says $case_id but the expect line says $want_id"

args=()
line2=$(sed -n 2p "$case_file")
modes=
[[ $line2 =~ ^/\*\ mig:\ (.*)\ \*/$ ]] && modes=" ${BASH_REMATCH[1]} "
# Other words of the mig: line (options such as `-max_descrs 1`) are passed to mig as they are.
for word in $modes; do
  case $word in raw | not-first) ;; *) args+=("$word") ;; esac
done
if [[ $modes == *" raw "* ]]; then
  # A "preprocessor" that passes the file through untouched.
  printf '#!/bin/sh\nfor a; do f=$a; done\nexec cat -- "$f"\n' > "$tmp/rawcpp"
  chmod +x "$tmp/rawcpp"
  args=(-cc "$tmp/rawcpp")
fi

extra=$(sed -n '2,3{s|^/\* args: \(.*\) \*/$|\1|p}' "$case_file")
append_case=yes
if [ -n "$extra" ]; then
  [[ $extra == *@CASE@* ]] && append_case=no
  extra=${extra//@TMP@/$tmp}
  extra=${extra//@CASE@/$case_file}
  read -r -a extra_args <<< "$extra"
  args+=("${extra_args[@]}")
fi
[ $append_case = yes ] && args+=("$case_file")

env_words=()
env_line=$(sed -n '2,3{s|^/\* env: \(.*\) \*/$|\1|p}' "$case_file")
if [ -n "$env_line" ]; then
  env_line=${env_line//@TMP@/$tmp}
  read -r -a env_words <<< "$env_line"
fi

env ${env_words[@]+"${env_words[@]}"} "$mig" --emit-json "$tmp/out.json" "${args[@]}" > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null
status=$?

wanted_suffix='\[E[0-9]{4}\]$'
[[ $modes == *" not-first "* ]] && wanted_suffix="\\[$want_id\\]\$"
first=$(grep -m 1 -E "^(.*:[0-9]+:[0-9]+|mig): (error|warning): .*$wanted_suffix" "$tmp/stderr")
[ -n "$first" ] || fail "no diagnostic with an id in mig's output (exit $status)"
diag_re='^(.*):([0-9]+):([0-9]+): (error|warning): (.*) \[(E[0-9]{4})\]$'
nopos_re='^mig: (error|warning): (.*) \[(E[0-9]{4})\]$'
if [[ $first =~ $diag_re ]]; then
  got_file=${BASH_REMATCH[1]} got_line=${BASH_REMATCH[2]} got_col=${BASH_REMATCH[3]}
  got_sev=${BASH_REMATCH[4]} got_id=${BASH_REMATCH[6]}
elif [[ $first =~ $nopos_re ]]; then
  got_file=$case_file got_line=0 got_col=0 got_sev=${BASH_REMATCH[1]} got_id=${BASH_REMATCH[3]}
else
  fail "cannot read: $first"
fi
got="$got_line:$got_col: $got_sev: [$got_id]"
want="$want_line:$want_col: $want_sev: [$want_id]"
[ "$got" = "$want" ] || fail "expected $want, got $got"
[ "$(basename "$got_file")" = "$(basename "$case_file")" ] || fail "diagnostic names $got_file"

if [ "$want_sev" = error ]; then
  [ $status -ne 0 ] || fail "exit status 0 after an error"
  [ ! -e "$tmp/out.json" ] || fail "an output file was written despite the error"
else
  [ $status -eq 0 ] || fail "exit status $status for a warning"
  [ -s "$tmp/out.json" ] || fail "no output file after a warning"
fi
echo "ok $(basename "$case_file"): $first"
