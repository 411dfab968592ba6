#!/usr/bin/env bash
# kubectl against the simulator, with the kubeconfig the simulator writes: it must take the
# simulator for a real API server (discovery, OpenAPI, apply/create, apply again as a patch,
# client-side validation where kubectl does it, wait, get with selectors and
# -o json/name/table, logs, delete, NotFound afterwards, bearer token checks). Works with
# kubectl 1.20 (Debian 12's) and later; kubectl_versions_test.sh runs it with several.
#
#   POP_TEST_DOCKER_HOST=unix:///path/docker.sock [KUBECTL=kubectl] kubectl_test.sh
#
# kubectl (client-go) sends tokens only over TLS, so the simulator runs with --tls --token;
# a second, plain-http simulator without a token checks the default mode. Exit 77 (skip)
# without an engine.
set -euo pipefail

kubectl=${KUBECTL:-kubectl}
here=$(cd "$(dirname "$0")" && pwd)
if [[ ${POP_TEST_DOCKER_HOST:-} != unix://* ]]; then
  echo "kubectl_test: POP_TEST_DOCKER_HOST is not set to unix:///path/docker.sock" >&2
  exit 77
fi
command -v "$kubectl" >/dev/null || { echo "kubectl_test: no $kubectl" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-test-XXXXXX")
simulator_pid=
stop_simulator() {
  [[ -n $simulator_pid ]] || return 0
  kill -TERM "$simulator_pid"
  local code=0
  wait "$simulator_pid" || code=$?
  simulator_pid=
  [[ $code == 0 ]] || { echo "kubectl_test: simulator exited $code" >&2; return 1; }
}
trap 'stop_simulator || true; rm -rf "$work"' EXIT

fail() {
  echo "kubectl_test: FAIL: $*" >&2
  echo "--- simulator stderr:" >&2
  cat "$work/stderr" >&2 || true
  exit 1
}
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected [$2], got [$1]"; }

start_simulator() {
  rm -f "$work/port"
  /usr/bin/python3 "$here/kube_simulator.py" --docker-host "$POP_TEST_DOCKER_HOST" --listen 127.0.0.1:0 \
    --port-file "$work/port" --kubeconfig-out "$work/kubeconfig" "$@" >"$work/stdout" 2>"$work/stderr" &
  simulator_pid=$!
  for _ in $(seq 200); do
    [[ -s "$work/port" ]] && grep -q "^kube_simulator listening on " "$work/stdout" && return 0
    kill -0 "$simulator_pid" 2>/dev/null || fail "the simulator did not start"
    sleep 0.1
  done
  fail "the simulator did not start within 20 s"
}

k() { "$kubectl" --kubeconfig "$work/kubeconfig" --cache-dir "$work/cache" "$@"; }

# A JSON field of stdin, by a Python expression on `o`.
field() { /usr/bin/python3 -c "import json, sys; o = json.load(sys.stdin); print($1)"; }

minor=$("$kubectl" version --client -o json | field 'o["clientVersion"]["minor"].rstrip("+")')
echo "kubectl_test: $kubectl, client version 1.$minor"

# Waits until the pod's phase is $2: `kubectl wait --for=jsonpath` (a watch) where kubectl
# has it (1.23 on), else polling `kubectl get`.
wait_for_phase() {
  if ((minor >= 23)); then
    expect_eq "$(k wait -n kt --for=jsonpath='{.status.phase}'="$2" "pod/$1" --timeout=30s)" \
      "pod/$1 condition met" "wait for $2"
    return
  fi
  for _ in $(seq 300); do
    [[ $(k get pod -n kt "$1" -o jsonpath='{.status.phase}') == "$2" ]] && return 0
    sleep 0.1
  done
  fail "pod $1 did not reach phase $2 within 30 s"
}

start_simulator --tls --token kubectl-test-token
port=$(cat "$work/port")
grep -q "^kube_simulator listening on https://127.0.0.1:$port\$" "$work/stdout" || fail "listening line: $(cat "$work/stdout")"

cat >"$work/pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: hello
  namespace: kt
  labels:
    app: x
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: pop:local
    command: ["sh", "-c", "echo hello; echo -n result > /dev/termination-log"]
EOF

expect_eq "$(k create namespace kt)" "namespace/kt created" "create namespace"
expect_eq "$(k get namespace kt -o jsonpath='{.status.phase}')" "Active" "namespace phase"
expect_eq "$(k apply -f "$work/pod.yaml")" "pod/hello created" "apply pod"
wait_for_phase hello Succeeded

k get pod hello -n kt -o json >"$work/pod.json"
expect_eq "$(field 'o["status"]["phase"]' <"$work/pod.json")" "Succeeded" "phase"
expect_eq "$(field 'o["spec"]["nodeName"]' <"$work/pod.json")" "sim-node" "nodeName"
expect_eq "$(field 'o["metadata"]["labels"]["app"]' <"$work/pod.json")" "x" "label"
expect_eq "$(field 'o["status"]["containerStatuses"][0]["state"]["terminated"]["message"]' <"$work/pod.json")" \
  "result" "termination message"
expect_eq "$(field 'o["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"]' <"$work/pod.json")" \
  "0" "exit code"
expect_eq "$(field 'o["status"]["containerStatuses"][0]["state"]["terminated"]["reason"]' <"$work/pod.json")" \
  "Completed" "terminated reason"
expect_eq "$(field '"kubectl.kubernetes.io/last-applied-configuration" in o["metadata"]["annotations"]' \
  <"$work/pod.json")" "True" "apply's annotation"

# A second apply patches (a three-way strategic merge patch, computed from the OpenAPI
# schema where kubectl reads one) and only the label changes.
sed -e 's/app: x/app: x\n    tier: t/' "$work/pod.yaml" >"$work/pod2.yaml"
expect_eq "$(k apply -f "$work/pod2.yaml")" "pod/hello configured" "apply again"
expect_eq "$(k get pod hello -n kt -o jsonpath='{.metadata.labels.tier}')" "t" "label added by apply"
expect_eq "$(k apply -f "$work/pod2.yaml")" "pod/hello unchanged" "apply unchanged"

# kubectl before 1.25 validates against /openapi/v2 itself (later ones leave it to the
# server, which the simulator does not do): an unknown container field is refused.
if ((minor < 25)); then
  sed -e 's/name: hello/name: typo/' -e 's/    image: pop:local/    imagee: pop:local/' "$work/pod.yaml" >"$work/typo.yaml"
  if k apply -f "$work/typo.yaml" >"$work/out" 2>"$work/err"; then fail "kubectl sent a pod with an unknown field"; fi
  grep -q 'unknown field "imagee" in io.k8s.api.core.v1.Container' "$work/err" || fail "validation: $(cat "$work/err")"
fi

expect_eq "$(k get pods -n kt -l app=x -o name)" "pod/hello" "label selector"
expect_eq "$(k get pods -A -l 'app in (x, y)' -o name)" "pod/hello" "set-based selector across namespaces"
expect_eq "$(k get pods -n kt -l app=other 2>&1)" "No resources found in kt namespace." "no match"
expect_eq "$(k get pods -n kt --no-headers | awk '{print $1, $2, $3}')" "hello 0/1 Completed" "table output"
expect_eq "$(k logs -n kt hello)" "hello" "logs"

expect_eq "$(k delete -n kt pod hello)" 'pod "hello" deleted' "delete"
if k get pod -n kt hello >"$work/out" 2>"$work/err"; then fail "the deleted pod is still there"; fi
expect_eq "$(cat "$work/err")" 'Error from server (NotFound): pods "hello" not found' "NotFound after delete"

# A running pod: kubectl delete waits until the kubelet has stopped it and the pod is gone.
sed -e 's/name: hello/name: sleeper/' -e 's/echo hello; .*"]/sleep 300"]/' "$work/pod.yaml" >"$work/sleeper.yaml"
expect_eq "$(k create -f "$work/sleeper.yaml")" "pod/sleeper created" "create"
expect_eq "$(k wait -n kt --for=condition=Ready pod/sleeper --timeout=30s)" "pod/sleeper condition met" \
  "wait for Ready"
expect_eq "$(k delete -n kt pod sleeper --grace-period=1)" 'pod "sleeper" deleted' "delete running pod"
if k get pod -n kt sleeper >/dev/null 2>&1; then fail "kubectl delete returned before the pod was gone"; fi

# The token is checked.
if k get pods --token wrong-token >"$work/out" 2>"$work/err"; then fail "a wrong token was accepted"; fi
grep -q "Unauthorized" "$work/err" || fail "wrong token: $(cat "$work/err")"
stop_simulator || fail "stopping the TLS simulator"

# Plain http, no token: the default mode.
start_simulator
grep -q "^kube_simulator listening on http://127.0.0.1:$(cat "$work/port")\$" "$work/stdout" || fail "plain listening line"
k get namespaces -o name >"$work/namespaces" || fail "kubectl over http"
grep -qx "namespace/default" "$work/namespaces" || fail "namespaces: $(cat "$work/namespaces")"
stop_simulator || fail "stopping the plain simulator"
echo "kubectl_test: all checks passed"
