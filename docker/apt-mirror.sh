# shellcheck shell=bash
# apt_mirror: the Debian mirror the offline image builds debootstrap from: DEBIAN_MIRROR when set, else
# the main archive in this machine's apt sources (one-line .list or deb822 .sources; the main archive
# ends in /debian, security and third-party repositories do not). Sourced by the build scripts.
apt_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uris
  uris=$( { grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
              | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; break }}';
            grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'; } )
  echo "$uris" | grep -E '/debian/?$' | head -n 1
}
