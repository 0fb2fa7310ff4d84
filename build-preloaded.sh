#!/usr/bin/env bash
# Builds the preloaded (air-gapped) image: the Docker-in-Docker API image with the executor image
# and the egress proxy image saved inside it. At start the container loads those archives into its
# engine instead of pulling, so it becomes ready with no registry and no network at all.
#
#   ./build-preloaded.sh [tag]     tag defaults to code-interpreter:preloaded
#
# The executor image is EXECUTOR_IMAGE when set (it must exist), else the one docker/executor/build.sh
# builds from this checkout. Prints the image's content-hash reference on the last line of stdout;
# a build whose reference exists is skipped.
set -euo pipefail

root=$(cd "$(dirname "$0")" && pwd)
tag=${1:-code-interpreter:preloaded}
name=${API_IMAGE_NAME:-code-interpreter}
archive_dir=/opt/code-interpreter/preloaded

log() { echo "[preloaded-image] $*" >&2; }

if [ -n "${EXECUTOR_IMAGE:-}" ]; then
  executor=$EXECUTOR_IMAGE
  docker image inspect "$executor" >/dev/null 2>&1 || { log "EXECUTOR_IMAGE=$executor does not exist"; exit 1; }
else
  executor=$("$root/docker/executor/build.sh" | tail -n 1)
fi
api=$("$root/docker/build.sh" | tail -n 1)
# The egress proxy image likewise: EGRESS_PROXY_IMAGE when set, else built from this checkout.
if [ -n "${EGRESS_PROXY_IMAGE:-}" ]; then
  proxy=$EGRESS_PROXY_IMAGE
  docker image inspect "$proxy" >/dev/null 2>&1 || { log "EGRESS_PROXY_IMAGE=$proxy does not exist"; exit 1; }
else
  proxy=$("$root/docker/egress-proxy/build.sh" | tail -n 1)
fi

hash=$( { docker image inspect --format '{{.Id}}' "$api" "$executor" "$proxy"; echo "$executor $proxy"; cat "$root/build-preloaded.sh"; } \
        | sha256sum | cut -c1-16)
built="$name:preloaded-$hash"

if docker image inspect "$built" >/dev/null 2>&1; then
  log "$built exists; nothing to build"
else
  context=$(mktemp -d /var/tmp/preloaded-context.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$context'" EXIT   # the 1.3 GB archive
  log "saving $executor"
  docker save -o "$context/executor-image.tar" "$executor"
  log "saving $proxy"
  docker save -o "$context/egress-proxy-image.tar" "$proxy"
  cat >"$context/Dockerfile" <<EOF
FROM $api
COPY executor-image.tar $archive_dir/executor-image.tar
COPY egress-proxy-image.tar $archive_dir/egress-proxy-image.tar
ENV CODE_INTERPRETER_DEFAULT_EXECUTOR_IMAGE=$executor \\
    CODE_INTERPRETER_PRELOADED_EXECUTOR_IMAGE=$executor \\
    CODE_INTERPRETER_DEFAULT_EGRESS_PROXY_IMAGE=$proxy \\
    CODE_INTERPRETER_PRELOADED_EGRESS_PROXY_IMAGE=$proxy
LABEL org.opencontainers.image.title="code-interpreter (preloaded)"
EOF
  log "building $built from $api"
  docker build --network none -t "$built" "$context" >&2
  rm -rf "$context"
  trap - EXIT
fi
docker tag "$built" "$tag"
# Earlier preloaded builds (1.3 GB each) are dropped unless a container uses them or another tag names them.
docker images --format '{{.Repository}}:{{.Tag}}' "$name" | grep -E "^$name:preloaded-[0-9a-f]{16}\$" \
  | grep -vx "$built" | xargs -r docker rmi >/dev/null 2>&1 || true
log "tagged $tag"
echo "$built"
