#!/usr/bin/env bash
# Starts and stops the private Docker engine the container tests run against (a ctest
# fixture): its own data root, exec root and socket under DIR, no iptables and no bridge
# (containers use the host's network or none), vfs storage (works on any filesystem), and
# the handler image built from this build's pop.
#
#   container_engine.sh start DIR POP_BINARY   # prints the engine's address
#   container_engine.sh stop DIR
set -euo pipefail

command=${1:?start or stop}
dir=${2:?engine directory}
socket=$dir/docker.sock
pidfile=$dir/dockerd.pid
here=$(cd "$(dirname "$0")" && pwd)

stop_engine() {
  [[ -f "$pidfile" ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    # Containers the tests left behind are a test failure of their own; here they only must
    # not keep the engine from stopping.
    local leftovers
    leftovers=$(docker -H "unix://$socket" ps -aq 2>/dev/null || true)
    [[ -n "$leftovers" ]] && docker -H "unix://$socket" rm -f $leftovers >/dev/null 2>&1 || true
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case "$command" in
  start)
    pop_binary=${3:?pop binary}
    command -v dockerd >/dev/null || { echo "container_engine: dockerd not found (scripts/setup.sh installs docker.io)" >&2; exit 1; }
    stop_engine
    rm -rf "$dir"
    mkdir -p "$dir/data" "$dir/exec"
    dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
      -H "unix://$socket" >"$dir/dockerd.log" 2>&1 &
    for _ in $(seq 300); do
      curl -sf --unix-socket "$socket" http://engine/_ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    curl -sf --unix-socket "$socket" http://engine/_ping >/dev/null ||
      { echo "container_engine: dockerd did not start; its log:" >&2; tail -20 "$dir/dockerd.log" >&2; exit 1; }
    "$here/../../scripts/build-handler-image.sh" --pop "$pop_binary" --host "unix://$socket" --tag pop:local
    echo "container_engine: dockerd at unix://$socket"
    ;;
  stop)
    stop_engine
    # dockerd leaves mounts behind (the default network namespace under exec/netns): unmount
    # everything under DIR, deepest first, or it cannot be removed.
    if [[ -d "$dir" ]]; then
      real_dir=$(cd "$dir" && pwd -P)
      awk -v prefix="$real_dir/" 'index($2, prefix) == 1 {print $2}' /proc/self/mounts |
        sort -r | while read -r mount_point; do umount -l "$mount_point" 2>/dev/null || true; done
    fi
    # vfs keeps a full copy of the image per container: do not leave gigabytes behind.
    rm -rf "$dir"
    ;;
  *) echo "container_engine: unknown command $command" >&2; exit 2 ;;
esac
