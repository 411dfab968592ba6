#!/usr/bin/env bash
# Installs the Debian packages POP needs to build, test and benchmark.
# Idempotent: when every package is present it only runs dpkg-query and exits.
#   scripts/setup.sh [--build-only | --bench]
set -euo pipefail
mode="${1:-}"

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libexpected-dev libsqlite3-dev
  libboost1.81-dev libssl-dev libcurl4-openssl-dev openssl
  libgtest-dev libgmock-dev
  procps
  # The PostgreSQL store (issue 13): libpq, and a server its tests start privately.
  libpq-dev postgresql-15
  # Metrics: prometheus-cpp's registry and text format.
  prometheus-cpp-dev
  # The fuzz targets (fuzz/): clang with libFuzzer and the sanitizer runtimes.
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
)
# Container tests: a private Docker engine, the handler image's busybox, and the official
# Kubernetes clients the API simulator is checked with. `--build-only` (deploy/Dockerfile)
# skips them.
if [[ "$mode" != "--build-only" ]]; then
  packages+=(docker.io busybox-static python3-kubernetes)
  # promtool checks the metrics exposition (and tests start a private Prometheus); the
  # package's own service is not wanted (see below).
  packages+=(prometheus)
  # Debian's kubectl (kubernetes-client) owns /usr/bin/kubectl, which some machine images
  # already fill from another package; any kubectl will do for the simulator's client test.
  if ! command -v kubectl >/dev/null 2>&1; then packages+=(kubernetes-client); fi
fi

# `make bench` (--bench): node and npm for bench_server's peer queues (bench/peers/). Only
# when missing: Debian's npm conflicts with a nodejs installed from elsewhere.
if [[ "$mode" == "--bench" ]]; then
  if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
  if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts the prometheus package's service (a Prometheus on :9090 scraping itself) where
# systemd runs; POP's tests only use its binaries, each test its own private instance.
if [[ " ${missing[*]} " == *" prometheus "* && -d /run/systemd/system ]]; then
  "${sudo_cmd[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
