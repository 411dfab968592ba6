#!/usr/bin/env bash
# Builds the handler image offline: a root filesystem with busybox-static (a shell and the
# usual tools for handler scripts), `pop` at /usr/local/bin/pop and the shared libraries it
# loads, imported into a Docker-compatible engine. The built-in `sample` handler then runs in
# a container with no registry and no network access.
#
#   scripts/build-handler-image.sh [--pop PATH] [--host unix:///path/docker.sock] [--tag NAME]
#
# Defaults: --pop build/pop, --host $DOCKER_HOST (else the engine's default socket),
# --tag pop:local (the image the container runners use for built-in handlers).
set -euo pipefail

pop_binary=build/pop
engine_host=${DOCKER_HOST:-}
tag=pop:local
while (($#)); do
  case "$1" in
    --pop) pop_binary=$2; shift 2 ;;
    --host) engine_host=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-handler-image: unknown argument $1" >&2; exit 2 ;;
  esac
done

[[ -x "$pop_binary" ]] || { echo "build-handler-image: $pop_binary is not an executable" >&2; exit 2; }
busybox=/bin/busybox
# ldd fails on a static executable: that is the busybox wanted (no libraries to copy).
[[ -x "$busybox" ]] && ! ldd "$busybox" >/dev/null 2>&1 ||
  { echo "build-handler-image: needs busybox-static (scripts/setup.sh installs it)" >&2; exit 2; }

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/pop-image-XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,usr/local/bin,tmp,etc,work,dev,proc,sys}
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"
done
# Without debug sections: the image is a third of the size and imports faster.
strip --strip-debug -o "$rootfs/usr/local/bin/pop" "$pop_binary"
# The dynamic loader and every library pop needs, at the paths ldd resolves them to, so the
# loader finds them without a cache.
while read -r library; do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done < <(ldd "$pop_binary" | grep -o '/[^ ]*' | sort -u)
# libcurl verifies TLS with the host's trust store; handlers that report over HTTPS need it.
if [[ -d /etc/ssl/certs ]]; then
  mkdir -p "$rootfs/etc/ssl"
  cp -rL /etc/ssl/certs "$rootfs/etc/ssl/certs"
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

docker_args=()
[[ -n "$engine_host" ]] && docker_args=(-H "$engine_host")
tar -C "$rootfs" -c . | docker "${docker_args[@]}" import \
  --change 'ENV PATH=/usr/local/bin:/bin' --change 'WORKDIR /work' - "$tag" >/dev/null
echo "build-handler-image: $tag ($(du -sh "$rootfs" | cut -f1) root filesystem)"
