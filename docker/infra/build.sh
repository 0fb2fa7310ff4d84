#!/usr/bin/env bash
# Builds the infrastructure image of deploy/compose.yaml and prints its reference on the last line of
# stdout: HAProxy (the load balancer) and PostgreSQL 15 (the shared state), both from Debian, in one
# image that compose runs in two roles (deploy/infra/load-balancer.sh and database.sh, mounted with
# their configuration, so changing them needs no new image).
#
# Built offline like the other images: debootstrap --variant=minbase of Debian bookworm from the
# mirror in this machine's apt sources (override: DEBIAN_MIRROR), the packages installed in the
# chroot, and the tree imported with `docker import`. No registry, no Dockerfile. The tag is a hash of the inputs (code-interpreter-infra:<hash>, also :latest); a build
# whose tag exists is skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${INFRA_IMAGE_NAME:-code-interpreter-infra}
suite=bookworm

log() { echo "[infra-image] $*" >&2; }

inputs=(build.sh packages.txt)
tag="$name:$(cd "$here" && { printf '%s\n' "${inputs[@]}"; cat "${inputs[@]}"; } | sha256sum | cut -c1-16)"

# shellcheck source=docker/apt-mirror.sh
source "$here/../apt-mirror.sh"

package_list() { grep -v '^[[:space:]]*#' "$here/packages.txt" | tr -s '[:space:]' ' '; }

dir=
cleanup() {
  [ -n "$dir" ] || return 0
  if mountpoint -q "$dir/proc" 2>/dev/null; then umount "$dir/proc" || return 0; fi
  rm -rf "$dir"
}
trap cleanup EXIT

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists; nothing to build"
else
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror found in the apt sources; set DEBIAN_MIRROR"; exit 1; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2
  }
  dir=$(mktemp -d /var/tmp/infra-rootfs.XXXXXX)
  log "debootstrap $suite (minbase) from $mirror into $dir"
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" >&2
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # Package scripts must not start services in the chroot (PostgreSQL's would create a cluster).
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  mkdir -p "$dir/etc/postgresql-common/createcluster.d"
  echo "create_main_cluster = false" >"$dir/etc/postgresql-common/createcluster.d/no-main-cluster.conf"
  mount -t proc proc "$dir/proc"
  log "installing $(package_list)"
  # shellcheck disable=SC2046
  chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update && apt-get install -y --no-install-recommends $(package_list) && apt-get clean" >&2
  umount "$dir/proc"
  # As in debian:*-slim: no documentation, manuals or translations; licences stay.
  find "$dir/usr/share/doc" -type f ! -name copyright -delete
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
         "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir/usr/sbin/policy-rc.d"
  : >"$dir/etc/resolv.conf"
  log "importing the rootfs as $tag"
  tar -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["haproxy", "-v"]' \
    - "$tag" >&2
fi
docker tag "$tag" "$name:latest"
echo "$tag"
