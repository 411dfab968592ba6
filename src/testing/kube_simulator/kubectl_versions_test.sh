#!/usr/bin/env bash
# kubectl_test.sh with each kubectl that matters on this machine: the oldest and the newest
# client version found, and the one on PATH (Debian 12's kubernetes-client is 1.20; a machine
# may have several, such as google-cloud-sdk's kubectl.1.27 ... kubectl.1.33 beside its
# kubectl). Candidates: `kubectl` on PATH, the kubectl and kubectl.<version> files in its
# real directory, and the paths in $POP_TEST_KUBECTLS (space-separated).
#
#   POP_TEST_DOCKER_HOST=unix:///path/docker.sock [POP_TEST_KUBECTLS="..."] kubectl_versions_test.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [[ ${POP_TEST_DOCKER_HOST:-} != unix://* ]]; then
  echo "kubectl_versions_test: POP_TEST_DOCKER_HOST is not set to unix:///path/docker.sock" >&2
  exit 77
fi
on_path=$(command -v kubectl || true)
[[ -n $on_path || -n ${POP_TEST_KUBECTLS:-} ]] || { echo "kubectl_versions_test: no kubectl" >&2; exit 1; }

candidates=()
if [[ -n $on_path ]]; then
  dir=$(dirname "$(readlink -f "$on_path")")
  candidates+=("$on_path" "$dir"/kubectl "$dir"/kubectl.[0-9]*)
fi
read -ra extra <<<"${POP_TEST_KUBECTLS:-}"
candidates+=("${extra[@]}")

# "minor path" per runnable candidate, oldest first.
versions=$(for candidate in "${candidates[@]}"; do
  [[ -x $candidate ]] || continue
  minor=$("$candidate" version --client -o json 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["clientVersion"]["minor"].rstrip("+"))') ||
    continue
  echo "$minor $candidate"
done | sort -n -k1,1 -s)
[[ -n $versions ]] || { echo "kubectl_versions_test: no kubectl answers 'version --client'" >&2; exit 1; }

chosen=$( (head -1 <<<"$versions"; tail -1 <<<"$versions"; grep -F " $on_path" <<<"$versions" | head -1 || true) |
  awk '!seen[$1]++ {print $2}')
echo "kubectl_versions_test: found $(awk '!seen[$1]++ {printf "%s1.%s", sep, $1; sep=" "}' <<<"$versions");" \
  "testing:" $chosen
for kubectl in $chosen; do
  KUBECTL=$kubectl "$here/kubectl_test.sh"
done
