#!/usr/bin/env bash
# `make fuzz`: explores each fuzz target in turn (fuzz/run.sh explore) and prints its final
# figures; exits 1 when any target found something (see BUILD/fuzz-work/findings/).
#
#   explore.sh BUILD SECONDS JOBS [NAME...]     NAMEs default to every target of BUILD
set -uo pipefail

build=$1 seconds=$2 jobs=$3
shift 3
names=("$@")
((${#names[@]})) || mapfile -t names < "$build/fuzz-targets.txt"
work=$(cd "$build" && pwd)/fuzz-work
mkdir -p "$work"

status=0
for name in "${names[@]}"; do
  log=$work/$name.log
  echo "== $name: $seconds s x $jobs process(es), log $log"
  if ! "$(dirname "$0")/run.sh" explore "$build/fuzz/fuzz_$name" "$name" "$work" "$seconds" \
      "$jobs" > "$log" 2>&1; then
    status=1
    echo "   FOUND SOMETHING: see $log and $work/findings/$name/"
  fi
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|cov: .*ft:' \
    "$log" | tail -4 | sed 's/^/   /'
done
exit $status
