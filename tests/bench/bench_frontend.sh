#!/usr/bin/env bash
# Compiler benchmark (not a test). Two tables:
# 1. Front end: for a synthetic interface of 2,000 routines of varied shapes and for every file in
#    defs/, the preprocessor time (the run mig does first), the check time (lexer + parser +
#    checks, no cpp), the peak memory of each, and the ratio check/cpp.
# 2. Whole compiler alone (no cpp: preprocessed input, the four C outputs written): for the
#    synthetic interface and, with XNU_DIR set, every interface of xnu (the files
#    scripts/xnu-compile-check.sh reads), time, peak RSS and minor faults of each run's process,
#    side by side with Apple's migcom when MIGCOM names one (built from bootstrap_cmds; see
#    docs/performance.md), and the ratios. Each figure is the best of the runs. mig keeps an output
#    that it finds unchanged, as it does over every run after the first here, so its CPU time is
#    also given over outputs changed before each run ("chg cpu": the dearest case).
#   [XNU_DIR=~/src/xnu] [MIGCOM=/path/to/migcom] bash tests/bench/bench_frontend.sh [build dir] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
runs=${2:-5}
bench=$build/bin/bench/bench_frontend
[[ -x $bench ]] || { echo "build $bench first (cmake --build $build --target bench_frontend)" >&2; exit 2; }
cc=${MIGCC:-${CC:-cc}}
work=$(mktemp -d "${TMPDIR:-/tmp}/migbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The synthetic interface: routines cycling through ten argument shapes.
gen() {
  echo "subsystem synthetic 10000;"
  echo "#include <mach/std_types.defs>"
  echo "#include <mach/mach_types.defs>"
  echo "type name_t = c_string[*:128];"
  echo "type bytes_t = array[*:1024] of uint8_t;"
  echo "type ool_t = ^array[] of int32_t;"
  echo "type point_t = struct[2] of int32_t;"
  echo "type ports_t = array[] of mach_port_t;"
  for ((i = 0; i < 2000; i++)); do
    ((i % 50 == 49)) && echo "skip;"
    case $((i % 9)) in
      0) echo "routine r$i(server : mach_port_t; a : int; b : int; out sum : int);" ;;
      1) echo "simpleroutine s$i(server : mach_port_t; value : uint64_t);" ;;
      2) echo "routine r$i(server : mach_port_t; name : name_t; out reply : name_t);" ;;
      3) echo "routine r$i(server : mach_port_t; data : bytes_t; out count : int);" ;;
      4) echo "routine r$i(server : mach_port_t; out data : ool_t, dealloc);" ;;
      5) echo "routine r$i(server : mach_port_t; inout p : point_t; flags : int);" ;;
      6) echo "routine r$i(server : mach_port_t; task : task_t; out thread : thread_act_t);" ;;
      7) echo "routine r$i(server : mach_port_t; ports : ports_t);" ;;
      8) echo "routine r$i(server : mach_port_t; port : mach_port_poly_t; sreplyport reply : mach_port_make_send_once_t);" ;;
    esac
  done
}
gen >"$work/synthetic.defs"
printf 'subsystem all_types 1;\n#include <mach/std_types.defs>\n#include <mach/mach_types.defs>\n#include <mach/clock_types.defs>\n' \
  >"$work/all_types.defs"

now() { date +%s.%N; }

# cpp_measure <file> <out.i>: best-of-$runs wall seconds, best CPU seconds (user+sys of the
# preprocessor and its children) and peak KiB of the preprocessor run.
cpp_measure() {
  local best=999 best_cpu=999 t0 t1 line kb cpu
  for ((r = 0; r < runs; r++)); do
    t0=$(now)
    line=$( { /usr/bin/time -f '%U %S %M' $cc -E -D__MACH30__ -Idefs -x c "$1" >"$2"; } 2>&1 | tail -1)
    t1=$(now)
    read -r u s kb <<<"$line"
    cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')
    best=$(awk -v a="$best" -v b="$(awk -v x="$t0" -v y="$t1" 'BEGIN{print y-x}')" 'BEGIN{print (b<a)?b:a}')
    best_cpu=$(awk -v a="$best_cpu" -v b="$cpu" 'BEGIN{print (b<a)?b:a}')
  done
  echo "$best $best_cpu $kb"
}

printf '%-22s %8s %9s %9s %9s %9s %9s %9s %9s %9s\n' input routines "cpp ms" "check ms" wall-ratio \
  "cpp cpu" "chk cpu" cpu-ratio "cpp KiB" "chk KiB"
inputs=("$work/synthetic.defs" "$work/all_types.defs")
for f in defs/mach/*.defs; do
  grep -q '^ *subsystem' "$f" && inputs+=("$f")
done
for f in "${inputs[@]}"; do
  read -r cpp_s cpp_cpu cpp_kb < <(cpp_measure "$f" "$work/pre.i")
  if ! out=$("$bench" "$work/pre.i" "$runs" 2>"$work/err.txt"); then
    echo "$(basename "$f"): front end failed:" >&2; head -5 "$work/err.txt" >&2; continue
  fi
  read -r chk_s chk_kb routines chk_cpu <<<"$out"
  awk -v n="$(basename "$f")" -v r="$routines" -v c="$cpp_s" -v k="$chk_s" -v cc="$cpp_cpu" \
      -v kc="$chk_cpu" -v ck="$cpp_kb" -v kk="$chk_kb" \
    'BEGIN{printf "%-22s %8d %9.2f %9.2f %9.2f %9.2f %9.2f %9s %9d %9d\n", n, r, c*1000, k*1000, k/c,
           cc*1000, kc*1000, (cc > 0 ? sprintf("%.2f", kc/cc) : "n/a"), ck, kk}'
done
# The JSON dump of the synthetic interface: size and the time of a whole mig run writing it.
mig=$build/bin/mig
if [[ -x $mig ]]; then
  best=999
  for ((r = 0; r < runs; r++)); do
    t0=$(now)
    MIG_DEFS_DIR=defs MIGCC=$cc "$mig" -q --emit-json "$work/out.json" "$work/synthetic.defs"
    t1=$(now)
    best=$(awk -v a="$best" -v b="$(awk -v x="$t0" -v y="$t1" 'BEGIN{print y-x}')" 'BEGIN{print (b<a)?b:a}')
  done
  bytes=$(stat -c %s "$work/out.json")
  awk -v b="$bytes" -v t="$best" 'BEGIN{printf "mig --emit-json synthetic.defs: %d bytes (%.1f MB, %d bytes per routine), %.0f ms wall\n", b, b/1e6, b/2000, t*1000}'
fi
echo "(best of $runs runs; cpp = '$cc -E' as mig runs it (process start included); check ="
echo " migc_compile on its output (lexer, parser, every check step; no emitters); cpu = user+sys"
echo " time, 10 ms resolution for cpp; KiB = peak resident set; synthetic = 2,000 routines, 40 skips)"

# 2. The whole compiler alone, side by side with migcom.
echo
printf '%-28s %9s %9s %9s %9s %9s' input "mig ms" "mig cpu" "mig KiB" "mig flt" "chg cpu"
[[ -n ${MIGCOM:-} ]] && printf ' %9s %9s %9s %9s %7s %7s %7s' "mc ms" "mc cpu" "mc KiB" "mc flt" cpu-x \
  chg-x rss-x
echo
whole_inputs=("$work/synthetic.defs")
xnu_includes=()
if [[ -n ${XNU_DIR:-} ]]; then
  xnu_includes=(-I"$XNU_DIR/osfmk" -I"$XNU_DIR/libsyscall")
  for f in "$XNU_DIR"/osfmk/mach/*.defs "$XNU_DIR"/osfmk/mach_debug/*.defs \
           "$XNU_DIR"/osfmk/device/device.defs "$XNU_DIR"/libsyscall/mach/*.defs; do
    grep -q '^ *subsystem' "$f" && whole_inputs+=("$f")
  done
fi
mkdir -p "$work/out"
sum() { awk -v a="$1" -v b="$2" 'BEGIN{print a+b}'; }
tot_ms=0 tot_cpu=0 tot_chg_cpu=0 tot_mc_ms=0 tot_mc_cpu=0 max_kb=0 max_mc_kb=0 n=0
for f in "${whole_inputs[@]}"; do
  $cc -E -D__MACH30__ "${xnu_includes[@]}" -Idefs -x c "$f" >"$work/whole.i" 2>/dev/null || continue
  # Inputs migcom rejects (or we do) are left out of both columns.
  if ! out=$("$bench" --whole "$work/whole.i" "$runs" "$work/out" ${MIGCOM:-} 2>/dev/null); then
    continue
  fi
  read -r _ ms cpu kb flt <<<"$(sed -n 1p <<<"$out")"
  read -r _ _ chg_cpu _ <<<"$(sed -n 2p <<<"$out")"
  name=$(basename "$(dirname "$f")")/$(basename "$f")
  [[ $f == "$work/synthetic.defs" ]] && name=synthetic.defs
  printf '%-28s %9.2f %9.2f %9d %9d %9.2f' "$name" "$ms" "$cpu" "$kb" "$flt" "$chg_cpu"
  tot_ms=$(sum "$tot_ms" "$ms"); tot_cpu=$(sum "$tot_cpu" "$cpu"); n=$((n + 1))
  tot_chg_cpu=$(sum "$tot_chg_cpu" "$chg_cpu")
  ((kb > max_kb)) && max_kb=$kb
  if [[ -n ${MIGCOM:-} ]]; then
    read -r _ mms mcpu mkb mflt <<<"$(sed -n 3p <<<"$out")"
    awk -v a="$mms" -v b="$mcpu" -v c="$mkb" -v d="$mflt" -v x="$cpu" -v y="$kb" -v z="$chg_cpu" \
      'BEGIN{printf " %9.2f %9.2f %9d %9d %7.2f %7.2f %7.2f", a, b, c, d, (b > 0 ? x/b : 0),
             (b > 0 ? z/b : 0), y/c}'
    tot_mc_ms=$(sum "$tot_mc_ms" "$mms"); tot_mc_cpu=$(sum "$tot_mc_cpu" "$mcpu")
    ((mkb > max_mc_kb)) && max_mc_kb=$mkb
  fi
  echo
done
printf '%-28s %9.2f %9.2f %9d %9s %9.2f' "all $n (max KiB)" "$tot_ms" "$tot_cpu" "$max_kb" "" \
  "$tot_chg_cpu"
if [[ -n ${MIGCOM:-} ]]; then
  awk -v a="$tot_mc_ms" -v b="$tot_mc_cpu" -v c="$max_mc_kb" -v x="$tot_cpu" -v y="$max_kb" \
    -v z="$tot_chg_cpu" 'BEGIN{printf " %9.2f %9.2f %9d %9s %7.2f %7.2f %7.2f", a, b, c, "", x/b,
                         z/b, y/c}'
fi
echo
echo "(whole compiler: each run a new process reading the preprocessed file and writing the four"
echo " C outputs; ms = wall, cpu = user+sys of the process, KiB = its peak RSS, flt = its minor"
echo " page faults; chg cpu = mig's cpu when each previous output was cut by one byte before the"
echo " run, so that it is compared to its end and then replaced, not kept as unchanged; cpu-x,"
echo " chg-x and rss-x = mig / migcom)"
