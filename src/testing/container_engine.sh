#!/usr/bin/env bash
# Starts and stops the private Docker engine the container tests run against (a ctest
# fixture): its own data root, exec root and socket under DIR, no iptables and no bridge
# (containers use the host's network or none), vfs storage (works on any filesystem), and
# the handler image built from this build's pop.
#
#   container_engine.sh start DIR POP_BINARY   # prints the engine's address
#   container_engine.sh stop DIR
#
# start succeeds only once the engine has run a container; an engine that does not answer
# fails it within a bounded time. stop ends every process the engine started and unmounts
# everything under DIR, whatever state the engine is in, and may be run any number of times.
set -euo pipefail

command=${1:?start or stop}
# Processes and mounts are recognised by this path: one spelling of it, which dockerd is
# given too. -m: a DIR already removed still names what may be left of its engine.
dir=$(realpath -m "${2:?engine directory}")
socket=$dir/docker.sock
pidfile=$dir/dockerd.pid
here=$(cd "$(dirname "$0")" && pwd)
# stop ends with rm -rf DIR: a mistyped DIR (".", the build directory) must not get there.
if [[ "$dir" == / || "$dir" == "$(realpath -m ~)" ]] ||
  [[ -d "$dir" && -n "$(ls -A "$dir")" && ! -e "$dir/exec" && ! -e "$pidfile" ]]; then
  echo "container_engine: $dir is not an engine directory (no exec/ or dockerd.pid)" >&2
  exit 2
fi

# Bounded, so that a hung engine fails the step instead of blocking it.
engine() { timeout "$1" docker -H "unix://$socket" "${@:2}"; }
pings() { curl -sf --max-time 2 --unix-socket "$socket" http://engine/_ping >/dev/null 2>&1; }

# Every live process of this engine, found by its tie to DIR rather than by name alone
# (other engines may run on this host): dockerd, its containerd and the shims name paths
# under DIR on their command lines, and the containers' processes descend from them. Only
# those three programs are roots, so that clients, log readers and scripts that merely name
# a path under DIR are left alone. One listing, so that a container's processes are found
# before killing their shim orphans them.
engine_processes() {
  ps -e -ww -o pid=,ppid=,stat=,args= |
    ENGINE_DIR="$dir/" awk '
      {
        parent[$1] = $2; live[$1] = $3 !~ /^Z/
        args = $0; sub(/^ *[0-9]+ +[0-9]+ +[^ ]+ +/, "", args)
        program = args; sub(/ .*/, "", program); sub(/.*\//, "", program)
        if ((program == "dockerd" || program == "containerd" || program ~ /^containerd-shim/) &&
            index(args, ENVIRON["ENGINE_DIR"]))
          tied[$1] = 1
      }
      END {
        do {
          grown = 0
          for (pid in parent)
            if (!(pid in tied) && (parent[pid] in tied)) { tied[pid] = 1; grown = 1 }
        } while (grown)
        for (pid in tied) if (live[pid]) print pid
      }'
}

mounts_under_dir() {
  awk -v prefix="$dir/" 'index($2, prefix) == 1 || $2 == substr(prefix, 1, length(prefix) - 1) {print $2}' \
    /proc/self/mounts
}

stop_engine() {
  # A dockerd that answers stops its containers and its containerd itself; containers the
  # tests left behind are a test failure of their own, here they only must not keep it up.
  if [[ -f "$pidfile" ]] && pings; then
    local leftovers pid
    mapfile -t leftovers < <(engine 10 ps -aq 2>/dev/null || true)
    ((${#leftovers[@]} == 0)) || engine 30 rm -f "${leftovers[@]}" >/dev/null 2>&1 || true
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # What is left did not stop by itself: a hung or killed dockerd leaves containerd, shims
  # and containers running. Shims ignore SIGTERM and stopped processes hold it: SIGKILL.
  local pids
  for _ in $(seq 50); do
    mapfile -t pids < <(engine_processes)
    ((${#pids[@]})) || break
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.2
  done
  mapfile -t pids < <(engine_processes)
  if ((${#pids[@]})); then
    echo "container_engine: processes of $dir survive SIGKILL:" >&2
    ps -ww -o pid,stat,args -p "$(IFS=,; echo "${pids[*]}")" >&2 || true
    return 1
  fi
  # dockerd leaves mounts behind (its data root, the network namespaces under exec/netns),
  # and a killed one all of its containers' too: deepest first, or the parents stay busy.
  local mount_point
  mounts_under_dir | sort -r | while read -r mount_point; do
    umount "$mount_point" 2>/dev/null || umount -l "$mount_point" || true
  done
  if [[ -n "$(mounts_under_dir)" ]]; then
    echo "container_engine: still mounted under $dir:" >&2
    mounts_under_dir >&2
    return 1
  fi
  # vfs keeps a full copy of the image per container: do not leave gigabytes behind.
  rm -rf "$dir"
}

# Ends a start that did not give a working engine: says why, shows the log, stops what runs.
start_failed() {
  echo "container_engine: $1; the end of its log:" >&2
  tail -20 "$dir/dockerd.log" >&2 || true
  # What was started as dockerd may be no dockerd at all (a wrong binary on PATH), which the
  # search of stop_engine would not recognise.
  kill -KILL "$dockerd_pid" 2>/dev/null || true
  stop_engine || true
  exit 1
}

case "$command" in
  start)
    pop_binary=${3:?pop binary}
    dockerd_pid=
    command -v dockerd >/dev/null || { echo "container_engine: dockerd not found (scripts/setup.sh installs docker.io)" >&2; exit 1; }
    stop_engine
    mkdir -p "$dir/data" "$dir/exec"
    dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
      -H "unix://$socket" >"$dir/dockerd.log" 2>&1 &
    dockerd_pid=$!
    deadline=$((SECONDS + 30))
    until pings; do
      kill -0 "$dockerd_pid" 2>/dev/null || start_failed "dockerd exited"
      ((SECONDS < deadline)) || start_failed "dockerd does not answer at $socket after 30 s"
      sleep 0.1
    done
    # The ping is dockerd's alone; version asks its containerd too, and the container below
    # goes through a shim and runc: the whole way the tests' containers go.
    engine 20 version >/dev/null || start_failed "the engine at $socket does not answer docker version within 20 s"
    timeout 300 "$here/../../scripts/build-handler-image.sh" --pop "$pop_binary" --host "unix://$socket" --tag pop:local ||
      start_failed "the handler image was not built"
    engine 60 run --rm --network none pop:local true ||
      start_failed "the engine at $socket did not run a container of pop:local within 60 s"
    echo "container_engine: dockerd at unix://$socket"
    ;;
  stop)
    stop_engine
    ;;
  *) echo "container_engine: unknown command $command" >&2; exit 2 ;;
esac
