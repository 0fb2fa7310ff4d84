#!/usr/bin/env bash
# Builds the egress proxy image (Debian's squid plus the allow-list helper) offline and prints its
# reference on the last line of stdout.
#
# debootstrap's minbase of Debian with packages.txt installed, the helper and the error pages copied
# in, imported with `docker import`. The tag is a hash of these inputs, so a build whose tag exists
# is skipped. The Debian mirror is read from this machine's apt sources (override: DEBIAN_MIRROR).
# The service writes squid's configuration into the container before it starts it (EgressProxy).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${EGRESS_PROXY_IMAGE_NAME:-code-interpreter-egress-proxy}
suite=bookworm

log() { echo "[egress-proxy-image] $*" >&2; }

inputs=(build.sh packages.txt egress-allow ERR_EGRESS_NOT_ALLOWED ERR_EGRESS_DENIED_ADDRESS)
tag="$name:$(cd "$here" && cat <(printf '%s\n' "${inputs[@]}") "${inputs[@]}" | sha256sum | cut -c1-16)"

# shellcheck source=docker/apt-mirror.sh
source "$here/../apt-mirror.sh"

build_image() {
  local mirror dir packages
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror found in the apt sources; set DEBIAN_MIRROR"; exit 1; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2
  }
  packages=$(grep -v '^[[:space:]]*#' "$here/packages.txt" | tr -s '[:space:]' ',' | sed 's/^,//; s/,$//')
  dir=$(mktemp -d /var/tmp/egress-proxy-rootfs.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$dir'" EXIT
  log "debootstrap $suite ($packages) from $mirror into $dir"
  debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror" >&2
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
  : > "$dir/etc/resolv.conf"
  install -m 0755 "$here/egress-allow" "$dir/usr/local/bin/egress-allow"
  install -m 0644 "$here/ERR_EGRESS_NOT_ALLOWED" "$here/ERR_EGRESS_DENIED_ADDRESS" "$dir/usr/share/squid/errors/templates/"
  install -d -m 0755 "$dir/run/egress/allow"
  log "importing the rootfs as $tag"
  tar -C "$dir" -c . | docker import \
    --change 'CMD ["squid", "-N", "-f", "/etc/squid/egress.conf"]' \
    --change 'LABEL code-interpreter.egress-proxy-image=true' - "$tag" >&2
  rm -rf "$dir"
  trap - EXIT
}

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists; nothing to build"
else
  build_image
fi
docker tag "$tag" "$name:latest"
echo "$tag"
