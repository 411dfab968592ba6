#!/usr/bin/env bash
# Runs one fuzz target (fuzz/README.md).
#
#   run.sh smoke   BINARY NAME WORKDIR SECONDS   every committed seed and regression input,
#                                                then SECONDS of exploration from a fixed seed
#                                                (ctest, `make test`); nothing is kept
#   run.sh explore BINARY NAME WORKDIR SECONDS [JOBS]
#                                                SECONDS of exploration (with JOBS parallel
#                                                processes, -fork), new inputs merged into
#                                                WORKDIR/corpus/NAME (`make fuzz`)
#
# Findings (crash, leak, UB report, timeout, out of memory) are written to
# WORKDIR/findings/NAME/ and fail the run.
set -euo pipefail

mode=$1 binary=$2 name=$3 workdir=$4 seconds=$5 jobs=${6:-1}
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
findings=$workdir/findings/$name
mkdir -p "$findings"

options=(-timeout=20 -rss_limit_mb=2560 -max_total_time="$seconds" -print_final_stats=1
         -artifact_prefix="$findings/")
[[ -f $fuzz_dir/dict/$name.dict ]] && options+=(-dict="$fuzz_dir/dict/$name.dict")
inputs=()
for dir in "$fuzz_dir/corpus/$name" "$fuzz_dir/regressions/$name"; do
  [[ -d $dir ]] && inputs+=("$dir")
done

# libFuzzer writes new inputs into its first directory: a scratch one, never the repository.
case $mode in
  smoke)
    scratch=$workdir/smoke/$name
    rm -rf "$scratch" && mkdir -p "$scratch"
    exec "$binary" "${options[@]}" -seed=1 "$scratch" "${inputs[@]}"
    ;;
  explore)
    corpus=$workdir/corpus/$name
    mkdir -p "$corpus"
    if ((jobs > 1)); then options+=(-fork="$jobs"); fi
    exec "$binary" "${options[@]}" "$corpus" "${inputs[@]}"
    ;;
  *)
    echo "usage: $0 smoke|explore BINARY NAME WORKDIR SECONDS [JOBS]" >&2
    exit 2
    ;;
esac
