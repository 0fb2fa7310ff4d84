#!/usr/bin/env bash
# Builds the executor (sandbox) image and prints its reference on the last line of stdout.
#
# The tag is a hash of the image's inputs, so a build whose tag exists is skipped. Two routes give
# the same image (see Dockerfile):
#   1. the Debian base image can be had (present, or pulled within a short deadline): docker build;
#   2. otherwise (no registry): debootstrap a Debian rootfs with packages.txt installed, import it,
#      and docker build the same Dockerfile on top of it, offline.
# The Debian mirror is read from this machine's apt sources (override: DEBIAN_MIRROR).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${EXECUTOR_IMAGE_NAME:-code-interpreter-executor}
base_image=${EXECUTOR_BASE_IMAGE:-debian:bookworm-slim}
suite=bookworm

log() { echo "[executor-image] $*" >&2; }

input_hash() { cat "$@" | sha256sum | cut -c1-16; }

# The image's inputs: every file the Dockerfile copies (the runner package's files in name order,
# byte code excluded as in .dockerignore), and their names, so a rename changes the tag too.
mapfile -t package_files < <(cd "$here" && find codeinterpreter_runner -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | LC_ALL=C sort)
inputs=(Dockerfile .dockerignore packages.txt boot.py "${package_files[@]}" mpl/codeinterpreter_show.py
        ipython/IPython/__init__.py ipython/IPython/display.py build.sh)
tag="$name:$(cd "$here" && input_hash <(printf '%s\n' "${inputs[@]}") "${inputs[@]}")"

# shellcheck source=docker/apt-mirror.sh
source "$here/../apt-mirror.sh"   # apt_mirror

package_list() { grep -v '^[[:space:]]*#' "$here/packages.txt" | tr -s '[:space:]' ' '; }

build_rootfs_image() {
  local rootfs_tag="$1" mirror dir
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror found in the apt sources; set DEBIAN_MIRROR"; exit 1; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2
  }
  dir=$(mktemp -d /var/tmp/executor-rootfs.XXXXXX)
  # shellcheck disable=SC2064
  trap "umount '$dir/proc' 2>/dev/null || true; rm -rf '$dir'" EXIT
  log "debootstrap $suite from $mirror into $dir"
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" >&2
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  mount -t proc proc "$dir/proc"
  log "installing packages.txt into the rootfs"
  # shellcheck disable=SC2046
  chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update && apt-get install -y --no-install-recommends $(package_list) && apt-get clean" >&2
  umount "$dir/proc"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir/etc/resolv.conf"
  : > "$dir/etc/resolv.conf"
  log "importing the rootfs as $rootfs_tag"
  tar -C "$dir" -c . | docker import - "$rootfs_tag" >&2
  rm -rf "$dir"
  trap - EXIT
}

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists; nothing to build"
else
  # Route 1 needs the base image locally. Pulling it is opt-in (EXECUTOR_PULL_BASE=1): on an offline machine a
  # pull attempt still sends a lookup toward a public registry.
  if docker image inspect "$base_image" >/dev/null 2>&1 \
     || { [ "${EXECUTOR_PULL_BASE:-0}" = 1 ] && timeout 30 docker pull "$base_image" >/dev/null 2>&1; }; then
    log "route 1: docker build on $base_image"
    docker build --build-arg "BASE_IMAGE=$base_image" -t "$tag" "$here" >&2
  else
    rootfs_tag="$name-rootfs:$(input_hash "$here/packages.txt" <(sed -n '/^build_rootfs_image()/,/^}/p' "$here/build.sh"))"
    if docker image inspect "$rootfs_tag" >/dev/null 2>&1; then
      log "route 2: rootfs $rootfs_tag exists"
    else
      log "route 2: $base_image cannot be had; building a rootfs with debootstrap"
      build_rootfs_image "$rootfs_tag"
    fi
    docker build --network none --build-arg "BASE_IMAGE=$rootfs_tag" -t "$tag" "$here" >&2
  fi
fi
docker tag "$tag" "$name:latest"
echo "$tag"
