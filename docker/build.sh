#!/usr/bin/env bash
# Builds the API image and prints its reference on the last line of stdout.
#
#   docker/build.sh                         Docker-in-Docker image  code-interpreter:<hash>, also :latest
#   SKIP_NESTED_DOCKER=1 docker/build.sh    Docker-out-of-Docker image (no engine inside)
#                                           code-interpreter:dood-<hash>, also :dood
#   --executor-image REF                    the executor image the container uses by default
#                                           (build argument EXECUTOR_IMAGE; run time EXECUTOR_IMAGE wins)
#
# The app is published self-contained (no .NET runtime in the image) from a copy of the sources, so
# a build running elsewhere in this checkout is not disturbed. The tag is a hash of every input, so
# a build whose tag exists is skipped (no publish either). Two routes give the same image (see
# Dockerfile): the Debian base image can be had -> docker build on it; else (no registry) a
# debootstrap rootfs with the packages installed, imported once, and docker build offline on it.
# The Debian mirror is read from this machine's apt sources (override: DEBIAN_MIRROR).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
name=${API_IMAGE_NAME:-code-interpreter}
base_image=${API_BASE_IMAGE:-debian:bookworm-slim}
suite=bookworm
skip_nested=${SKIP_NESTED_DOCKER:-0}
executor_image=code-interpreter-executor:latest

while [ $# -gt 0 ]; do
  case "$1" in
    --executor-image) executor_image=$2; shift 2 ;;
    --executor-image=*) executor_image=${1#*=}; shift ;;
    *) echo "usage: [SKIP_NESTED_DOCKER=1] $0 [--executor-image REF]" >&2; exit 2 ;;
  esac
done

log() { echo "[api-image] $*" >&2; }

# Temporary folders, removed however the script ends (a rootfs only once its /proc is unmounted).
temp_dirs=()
cleanup() {
  local d
  for d in "${temp_dirs[@]}"; do
    if mountpoint -q "$d/proc" 2>/dev/null; then umount "$d/proc" || continue; fi
    rm -rf "$d"
  done
}
trap cleanup EXIT

# The app's sources as the build sees them (no bin/obj), relative to the checkout.
app_sources() {
  (cd "$root" && { find src -type d \( -name bin -o -name obj \) -prune -o -type f -print
                   for f in Directory.Build.props Directory.Packages.props global.json nuget.config NuGet.Config; do
                     if [ -f "$f" ]; then echo "$f"; fi; done; } | LC_ALL=C sort)
}

inputs_hash() {
  {
    (cd "$root" && app_sources | while read -r f; do printf '%s  %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"; done)
    cat "$here/Dockerfile" "$here/entrypoint.sh" "$here/build.sh" "$here/packages.txt" "$here/packages-engine.txt"
    echo "skip_nested=$skip_nested executor=$executor_image dotnet=$(dotnet --version)"
  } | sha256sum | cut -c1-16
}

if [ "$skip_nested" = 1 ]; then
  tag="$name:dood-$(inputs_hash)"; alias="$name:dood"
else
  tag="$name:$(inputs_hash)"; alias="$name:latest"
fi

# The Debian mirror: shared with the other offline image builds.
# shellcheck source=docker/apt-mirror.sh
source "$here/apt-mirror.sh"   # apt_mirror

package_list() { grep -hv '^[[:space:]]*#' "$@" | tr -s '[:space:]' ' '; }

# One debootstrap gives both bases: packages.txt installed -> the DooD base; then packages-engine.txt
# on top -> the DinD base.
build_rootfs_images() {
  local dood_tag="$1" dind_tag="$2" mirror dir
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror found in the apt sources; set DEBIAN_MIRROR"; exit 1; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2
  }
  dir=$(mktemp -d /var/tmp/api-rootfs.XXXXXX); temp_dirs+=("$dir")
  log "debootstrap $suite from $mirror into $dir"
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" >&2
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # Package scripts must not start services in the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  mount -t proc proc "$dir/proc"
  install_and_import() {
    local tag="$1"; shift
    log "installing $* into the rootfs"
    # shellcheck disable=SC2046
    chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
      "apt-get update && apt-get install -y --no-install-recommends $(package_list "$@") && apt-get clean" >&2
    umount "$dir/proc"
    # Documentation and translations are of no use in a container (as in debian:*-slim); licences stay.
    find "$dir/usr/share/doc" -type f ! -name copyright -delete
    rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
    local keep; keep=$(mktemp -d /var/tmp/api-rootfs-state.XXXXXX)
    mv "$dir/etc/resolv.conf" "$dir/usr/sbin/policy-rc.d" "$keep/"
    : >"$dir/etc/resolv.conf"
    log "importing the rootfs as $tag"
    tar -C "$dir" --exclude='./var/lib/apt/lists/*' --exclude='./var/cache/apt/*' -c . | docker import - "$tag" >&2
    mv "$keep/resolv.conf" "$dir/etc/resolv.conf"; mv "$keep/policy-rc.d" "$dir/usr/sbin/policy-rc.d"; rmdir "$keep"
    mount -t proc proc "$dir/proc"
  }
  install_and_import "$dood_tag" "$here/packages.txt"
  install_and_import "$dind_tag" "$here/packages.txt" "$here/packages-engine.txt"
  umount "$dir/proc"
}

# Publishes the app into $1. The output is kept per source hash, so the DinD and the DooD image
# built from the same sources publish once.
publish_app() {
  local dest="$1" cache_root=${API_PUBLISH_CACHE:-/var/tmp/code-interpreter-api-publish} app_hash cache src
  app_hash=$( { (cd "$root" && app_sources | while read -r f; do printf '%s  %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"; done)
                dotnet --version; } | sha256sum | cut -c1-16)
  cache="$cache_root/$app_hash"
  if [ -d "$cache" ]; then
    log "reusing the app published from the same sources ($cache)"
  else
    src=$(mktemp -d /var/tmp/api-src.XXXXXX); temp_dirs+=("$src")
    (cd "$root" && app_sources | while read -r f; do mkdir -p "$src/$(dirname "$f")"; cp "$f" "$src/$f"; done)
    log "dotnet publish (self-contained, linux-x64)"
    dotnet publish "$src/src/Api/CodeInterpreter.Api.csproj" -c Release -r linux-x64 --self-contained \
      -o "$src/out" -nologo -v q >&2
    mkdir -p "$cache_root"
    # Outputs of older sources: the newest few stay (another checkout may build them again).
    find "$cache_root" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- \
      | xargs -r rm -rf
    [ -d "$cache" ] || mv "$src/out" "$cache"   # unless a parallel build put it there first
  fi
  cp -a "$cache" "$dest"
}

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists; nothing to build"
else
  context=$(mktemp -d /var/tmp/api-context.XXXXXX); temp_dirs+=("$context")
  cp "$here/Dockerfile" "$here/entrypoint.sh" "$here/packages.txt" "$here/packages-engine.txt" "$context/"
  publish_app "$context/app"
  build_args=(--build-arg "SKIP_NESTED_DOCKER=$skip_nested" --build-arg "EXECUTOR_IMAGE=$executor_image")
  # Route 1 needs the base image locally. Pulling it is opt-in (API_PULL_BASE=1): on an offline machine a
  # pull attempt still sends a lookup toward a public registry.
  if docker image inspect "$base_image" >/dev/null 2>&1 \
     || { [ "${API_PULL_BASE:-0}" = 1 ] && timeout 30 docker pull "$base_image" >/dev/null 2>&1; }; then
    log "route 1: docker build on $base_image"
    docker build "${build_args[@]}" --build-arg "BASE_IMAGE=$base_image" -t "$tag" "$context" >&2
  else
    rootfs_hash=$(cat "$here/packages.txt" "$here/packages-engine.txt" \
                    <(sed -n '/^build_rootfs_images()/,/^}/p' "$here/build.sh") | sha256sum | cut -c1-16)
    dood_rootfs="$name-rootfs:dood-$rootfs_hash"; dind_rootfs="$name-rootfs:$rootfs_hash"
    if docker image inspect "$dood_rootfs" >/dev/null 2>&1 && docker image inspect "$dind_rootfs" >/dev/null 2>&1; then
      log "route 2: rootfs images exist"
    else
      log "route 2: $base_image cannot be had; building the base from a debootstrap rootfs"
      build_rootfs_images "$dood_rootfs" "$dind_rootfs"
      docker images --format '{{.Repository}}:{{.Tag}}' "$name-rootfs" | grep -vx -e "$dood_rootfs" -e "$dind_rootfs" \
        | xargs -r docker rmi >/dev/null 2>&1 || true   # bases of older package lists
    fi
    rootfs=$dind_rootfs; [ "$skip_nested" = 1 ] && rootfs=$dood_rootfs
    docker build --network none "${build_args[@]}" --build-arg "BASE_IMAGE=$rootfs" -t "$tag" "$context" >&2
  fi
fi
docker tag "$tag" "$alias"
# Earlier builds of the same kind (other sources) are dropped; an image still used by a container, or
# tagged otherwise, stays.
kind='[0-9a-f]{16}'; [ "$skip_nested" = 1 ] && kind="dood-$kind"
docker images --format '{{.Repository}}:{{.Tag}}' "$name" | grep -E "^$name:$kind\$" | grep -vx "$tag" \
  | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$tag"
