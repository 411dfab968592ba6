#!/usr/bin/env bash
# container_engine.sh in the states that made container tests hang or leave processes behind:
#   - start against a dockerd that accepts connections and never answers fails, in bounded
#     time, and leaves nothing of it running;
#   - container tests against a hung engine (dockerd stopped by SIGSTOP) fail at once;
#   - stop of a hung engine, and of one whose dockerd was killed, each with a container
#     running, leaves no process naming the engine directory (command line or working
#     directory), no container process and nothing mounted under it; a second stop is a no-op;
#   - another engine on the host (the fixture's, given its socket) still answers afterwards.
#
#   container_engine_test.sh POP_BINARY CONTAINER_TESTS WORK_DIR [OTHER_ENGINE_SOCKET]
# shellcheck disable=SC2016  # check() evaluates its single-quoted conditions itself
set -euo pipefail

pop_binary=${1:?pop binary}
container_tests=${2:?container test binary}
work=$(realpath -m "${3:?work directory}")
other_socket=${4:-}
engine_script=$(cd "$(dirname "$0")" && pwd)/container_engine.sh

failures=0
check() {
  if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1" >&2; failures=$((failures + 1)); fi
}

# The processes left of engine directory $1: pid, working directory and command line.
processes_of() {
  local entry args cwd
  for entry in /proc/[0-9]*; do
    args=$( { tr '\0' ' ' <"$entry/cmdline"; } 2>/dev/null) || continue
    cwd=$(readlink "$entry/cwd" 2>/dev/null) || cwd=
    [[ "$args " == *"$1/"* || "$cwd/" == "$1/"* ]] && echo "${entry#/proc/} $cwd $args"
  done
  return 0
}
mounts_under() { awk -v prefix="$1/" 'index($2, prefix) == 1 {print $2}' /proc/self/mounts; }
# A marker no other process on the host has: the container's process is found by it.
container_processes() { pgrep -f "sleep $1" || true; }

# Asserts that stopping engine $1 (whose container sleeps $2) leaves nothing, twice.
check_stop_leaves_nothing() {
  local dir=$1 marker=$2 rc=0
  timeout 120 "$engine_script" stop "$dir" || rc=$?
  check "stop of $dir succeeds (status $rc; 124: it hung)" '((rc == 0))'
  local left
  left=$(processes_of "$dir")
  check "no process names $dir after stop${left:+:$'\n'$left}" '[[ -z "$left" ]]'
  left=$(container_processes "$marker")
  check "the container's process is gone${left:+: $left}" '[[ -z "$left" ]]'
  left=$(mounts_under "$dir")
  check "nothing is mounted under $dir${left:+:$'\n'$left}" '[[ -z "$left" ]]'
  check "$dir is removed" '[[ ! -e "$dir" ]]'
  rc=0
  timeout 60 "$engine_script" stop "$dir" || rc=$?
  check "a second stop of $dir succeeds (status $rc)" '((rc == 0))'
}

# Starts engine $1 and runs a container in it that sleeps $2 seconds.
start_with_container() {
  timeout 300 "$engine_script" start "$1" "$pop_binary" >/dev/null
  timeout 60 docker -H "unix://$1/docker.sock" run -d --network none pop:local sleep "$2" >/dev/null
}

cleanup() {
  local dir
  for dir in "$work"/*/; do
    [[ -e "$dir/exec" || -e "$dir/dockerd.pid" ]] || continue  # bin/ is no engine
    "$engine_script" stop "$dir" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$work/bin"

echo "--- start against a dockerd that never answers"
cat >"$work/bin/dockerd" <<'EOF'
#!/usr/bin/env bash
while (($#)); do [[ $1 == -H ]] && socket=${2#unix://}; shift; done
exec python3 -c 'import socket, sys, time
listener = socket.socket(socket.AF_UNIX)
listener.bind(sys.argv[1])
listener.listen(64)
time.sleep(3600)' "$socket"
EOF
chmod +x "$work/bin/dockerd"
mute="$work/mute"
begin=$SECONDS rc=0
PATH="$work/bin:$PATH" timeout 120 "$engine_script" start "$mute" "$pop_binary" >"$work/mute.out" 2>&1 || rc=$?
took=$((SECONDS - begin))
cat "$work/mute.out"
check "start fails (status $rc; 124: it hung)" '((rc != 0 && rc != 124))'
check "start fails within 60 s (took $took s)" '((took <= 60))'
check "start says the engine does not answer" 'grep -q "does not answer" "$work/mute.out"'
left=$(processes_of "$mute")
check "the failed start leaves no process${left:+:$'\n'$left}" '[[ -z "$left" ]]'

echo "--- a hung engine: the container tests fail at once, stop ends it"
hung="$work/hung"
start_with_container "$hung" 86401
kill -STOP "$(cat "$hung/dockerd.pid")"
begin=$SECONDS rc=0
POP_TEST_DOCKER_HOST="unix://$hung/docker.sock" timeout 120 "$container_tests" \
  --gtest_filter=DockerE2eTest.DiamondRunsInContainersAndPassesOutputs >"$work/hung.out" 2>&1 || rc=$?
took=$((SECONDS - begin))
tail -5 "$work/hung.out"
check "the container test fails (status $rc; 124: it hung)" '((rc != 0 && rc != 124))'
check "the container test fails within 20 s (took $took s)" '((took <= 20))'
check "the container test says the engine does not answer" 'grep -q "does not answer" "$work/hung.out"'
check_stop_leaves_nothing "$hung" 86401

echo "--- an engine whose dockerd was killed: stop ends its containerd, shim and container"
killed="$work/killed"
start_with_container "$killed" 86402
kill -KILL "$(cat "$killed/dockerd.pid")"
check_stop_leaves_nothing "$killed" 86402

if [[ -n "$other_socket" ]]; then
  check "the other engine at $other_socket still answers" \
    'curl -sf --max-time 5 --unix-socket "$other_socket" http://engine/_ping >/dev/null'
fi

((failures == 0)) || { echo "$failures checks failed" >&2; exit 1; }
echo "all checks passed"
