#!/usr/bin/env bash
# Entrypoint of the API image. PID 1 is tini, which forwards SIGTERM/SIGINT to the process this script
# becomes (`exec` below), so the service drains its warm pool on `docker stop`.
#
# Which engine runs the sandboxes:
#  - DOCKER_HOST names a tcp:// or http(s):// engine: that one;
#  - the engine's unix socket (DOCKER_HOST, default /var/run/docker.sock) is mounted: the host's
#    engine (Docker-out-of-Docker);
#  - otherwise: this image's own dockerd (Docker-in-Docker, needs --privileged), started here and
#    waited for with a deadline; if it fails, its log is printed and the container exits non-zero.
#
# Knobs: DOCKERD_START_TIMEOUT_SEC (60), DOCKERD_STORAGE_DRIVER (overlay2 on a volume, else vfs),
# DOCKERD_ARGS (extra dockerd arguments). EXECUTOR_RUNTIME=runsc registers the image's gVisor (runsc)
# with the nested engine before it starts (the runtime arguments of scripts/setup.sh's ensure_runsc)
# and checks that it can start a sandbox here; when it cannot, the container exits 1 saying why.
set -euo pipefail

log() { echo "[entrypoint] $*" >&2; }

app=/opt/code-interpreter/app/CodeInterpreter.Api
preloaded_tar=/opt/code-interpreter/preloaded/executor-image.tar
preloaded_proxy_tar=/opt/code-interpreter/preloaded/egress-proxy-image.tar
dockerd_log=/var/log/dockerd.log
# Written when this script starts dockerd: a socket found at the next start of the same container
# (docker restart) is then known to be our dead engine's, not a mounted host socket.
dind_marker=/run/code-interpreter-dind

# The executor image: EXECUTOR_IMAGE, else PYTHON_EXECUTOR_DOCKER_IMAGE (the app reads both), else
# the one this image was built for. A preloaded image loads its archive instead of pulling.
if [ -z "${EXECUTOR_IMAGE:-}" ] && [ -z "${PYTHON_EXECUTOR_DOCKER_IMAGE:-}" ]; then
  export EXECUTOR_IMAGE="${CODE_INTERPRETER_DEFAULT_EXECUTOR_IMAGE:-code-interpreter-executor:latest}"
fi
executor_image=${EXECUTOR_IMAGE:-$PYTHON_EXECUTOR_DOCKER_IMAGE}
if [ -z "${EXECUTOR_IMAGE_TAR:-}" ] && [ -f "$preloaded_tar" ] \
   && [ "$executor_image" = "${CODE_INTERPRETER_PRELOADED_EXECUTOR_IMAGE:-}" ]; then
  export EXECUTOR_IMAGE_TAR=$preloaded_tar
fi
# The egress proxy image the same way: the preloaded image's archive when EGRESS_PROXY_IMAGE is (or
# defaults to) the image it holds; the service loads it when the engine lacks it.
if [ -z "${EGRESS_PROXY_IMAGE:-}" ] && [ -n "${CODE_INTERPRETER_DEFAULT_EGRESS_PROXY_IMAGE:-}" ]; then
  export EGRESS_PROXY_IMAGE=$CODE_INTERPRETER_DEFAULT_EGRESS_PROXY_IMAGE
fi
if [ -z "${EGRESS_PROXY_IMAGE_TAR:-}" ] && [ -f "$preloaded_proxy_tar" ] \
   && [ "${EGRESS_PROXY_IMAGE:-}" = "${CODE_INTERPRETER_PRELOADED_EGRESS_PROXY_IMAGE:-}" ]; then
  export EGRESS_PROXY_IMAGE_TAR=$preloaded_proxy_tar
fi

start_app() {
  log "starting the service on ${ASPNETCORE_URLS:-http://${HOST:-0.0.0.0}:${PORT:-8000}} (executor image $executor_image${EXECUTOR_IMAGE_TAR:+, archive $EXECUTOR_IMAGE_TAR})"
  exec "$app" "$@"
}

docker_host=${DOCKER_HOST:-unix:///var/run/docker.sock}
case "$docker_host" in
  unix://*) socket=${docker_host#unix://} ;;
  *)
    log "using the Docker engine at $docker_host"
    start_app "$@"
    ;;
esac

if [ -S "$socket" ]; then
  if [ -e "$dind_marker" ]; then
    log "removing the socket of this container's previous engine"
    rm -f "$socket" /var/run/docker.pid /var/run/docker/containerd/containerd.pid
  else
    log "Docker-out-of-Docker: using the mounted engine socket $socket"
    start_app "$@"
  fi
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "no Docker engine: mount the host's socket (-v /var/run/docker.sock:/var/run/docker.sock)," \
      "set DOCKER_HOST, or use the image built without SKIP_NESTED_DOCKER=1"
  exit 1
fi

log "Docker-in-Docker: starting dockerd"

# cgroup v2 with a private cgroup namespace (the default of --privileged there): move ourselves out
# of the root cgroup so that its controllers can be delegated to the engine's containers. Never
# done in the host's namespace (--cgroupns host), where it would reorganise the host's cgroups.
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qx '0::/' /proc/self/cgroup; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control \
    || log "could not delegate the cgroup v2 controllers; sandbox limits may not apply"
fi

# AppArmor profiles of nested containers need securityfs; nested mounts need shared propagation.
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
  mount -t securityfs none /sys/kernel/security 2>/dev/null || true
fi
mount --make-rshared / 2>/dev/null || true

# overlay2 needs /var/lib/docker on a real filesystem (the image's VOLUME, or a tmpfs); on the
# container's own overlay it cannot work, and vfs (a full copy per layer: slow, large) is the fallback.
storage_driver=${DOCKERD_STORAGE_DRIVER:-}
if [ -z "$storage_driver" ]; then
  if [ "$(stat -f -c %T /var/lib/docker)" = overlayfs ]; then
    storage_driver=vfs
    log "warning: /var/lib/docker is not a volume; falling back to the slow vfs storage driver" \
        "(add -v /var/lib/docker or --tmpfs /var/lib/docker)"
  else
    storage_driver=overlay2
  fi
fi

# Sandboxes have no network, so the engine's iptables rules are a convenience: use the nft or the
# legacy backend, whichever this kernel supports, else run without them.
dockerd_args=(--host "unix://$socket" --storage-driver "$storage_driver")
if ! iptables -nL >/dev/null 2>&1; then
  if command -v iptables-legacy >/dev/null 2>&1 && iptables-legacy -nL >/dev/null 2>&1; then
    update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
    update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
    log "using the legacy iptables backend"
  else
    dockerd_args+=(--iptables=false --ip6tables=false)
    log "iptables does not work here; dockerd runs without it (sandboxes have no network anyway)"
  fi
fi
# shellcheck disable=SC2206
dockerd_args+=(${DOCKERD_ARGS:-})

# gVisor: the same runtime arguments as scripts/setup.sh registers on a host engine.
runsc_runtime_args='["--platform=ptrace", "--network=none", "--oci-seccomp"]'
dockerd_config=/etc/docker/daemon.json
runsc_failed() {
  log "EXECUTOR_RUNTIME=runsc, but $1"
  exit 1
}
if [ "${EXECUTOR_RUNTIME:-runc}" = runsc ]; then
  runsc_path=$(command -v runsc) \
    || runsc_failed "this image has no runsc (gVisor); build it with docker/build.sh, whose engine packages include Debian's runsc"
  if [ -s "$dockerd_config" ] && ! grep -q '"runsc"' "$dockerd_config"; then
    runsc_failed "$dockerd_config already exists without a runsc runtime; add {\"runtimes\": {\"runsc\": {\"path\": \"$runsc_path\", \"runtimeArgs\": $runsc_runtime_args}}} to it"
  fi
  if [ ! -s "$dockerd_config" ]; then
    mkdir -p "$(dirname "$dockerd_config")"
    printf '{"runtimes": {"runsc": {"path": "%s", "runtimeArgs": %s}}}\n' "$runsc_path" "$runsc_runtime_args" >"$dockerd_config"
  fi
  # gVisor's ptrace platform must be able to start a sandbox in this container (it needs ptrace and
  # its own namespaces): tried once with the rootfs of this image, so a container where it cannot
  # work stops here, saying so, instead of a service whose every execution fails.
  runsc_probe=$(mktemp -d /tmp/runsc-probe.XXXXXX)
  if ! probe_output=$(timeout 60 "$runsc_path" --root "$runsc_probe/state" --platform=ptrace --network=none \
                        do --root / /bin/true 2>&1); then
    rm -rf "$runsc_probe"
    runsc_failed "gVisor (runsc --platform=ptrace) cannot start a sandbox in this container: $(echo "$probe_output" | tail -n 3 | tr '\n' ' ')(run the container with --privileged, or use EXECUTOR_RUNTIME=runc)"
  fi
  rm -rf "$runsc_probe"
  log "registered gVisor ($runsc_path $runsc_runtime_args) as the engine's runtime runsc"
fi

mkdir -p "$(dirname "$socket")" "$(dirname "$dockerd_log")"
touch "$dind_marker"
# Its own session: a Ctrl-C or SIGTERM meant for the service does not hit the engine under it.
setsid dockerd "${dockerd_args[@]}" >"$dockerd_log" 2>&1 &
dockerd_pid=$!

fail() {
  log "$1 (Docker-in-Docker needs docker run --privileged; or mount the host's socket); dockerd's log ($dockerd_log):"
  cat "$dockerd_log" >&2 || true
  kill "$dockerd_pid" 2>/dev/null || true
  exit 1
}

timeout_sec=${DOCKERD_START_TIMEOUT_SEC:-60}
deadline=$((SECONDS + timeout_sec))
until [ -S "$socket" ] && docker -H "unix://$socket" version >/dev/null 2>&1; do
  kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited during start-up"
  [ $SECONDS -lt $deadline ] || fail "dockerd did not answer within $timeout_sec s"
  sleep 0.2
done
log "dockerd is up ($(docker -H "unix://$socket" version --format '{{.Server.Version}}'), storage driver $storage_driver)"
if [ "${EXECUTOR_RUNTIME:-runc}" = runsc ] \
   && ! docker -H "unix://$socket" info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; then
  kill "$dockerd_pid" 2>/dev/null || true
  runsc_failed "the engine did not register the runtime runsc from $dockerd_config; dockerd's log: $(tail -n 5 "$dockerd_log" | tr '\n' ' ')"
fi
export DOCKER_HOST="unix://$socket"
start_app "$@"
