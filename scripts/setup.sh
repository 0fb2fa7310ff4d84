# Sourced by run.sh and test.sh: sets up whatever is missing on a Debian machine where we are root,
# then exports EXECUTOR_IMAGE (the executor image built from this checkout).
#   - the Docker engine (Debian's docker.io), started when it does not answer;
#   - the executor image (docker/executor/build.sh; skipped when its input-hash tag exists).
# Honours DOCKER_HOST: when it points at an engine that answers, nothing is installed or started.

setup_log() { echo "[setup] $*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

ensure_engine() {
  if engine_answers; then
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    setup_log "installing the Docker engine (Debian package docker.io)"
    if [ "$(id -u)" -ne 0 ]; then
      setup_log "the Docker engine is missing and installing it needs root"; return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || true
    apt-get install -y -q docker.io iptables >&2
  fi
  if ! command -v docker >/dev/null 2>&1; then
    setup_log "the docker CLI is missing after installing docker.io"; return 1
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    local log=/var/log/code-interpreter-dockerd.log
    setup_log "starting dockerd (log: $log)"
    nohup dockerd >"$log" 2>&1 &
  fi
  local deadline=$((SECONDS + 60))
  until engine_answers; do
    if [ $SECONDS -ge $deadline ]; then
      setup_log "dockerd did not answer within 60 s; its log:"
      tail -n 50 /var/log/code-interpreter-dockerd.log >&2 2>/dev/null || true
      return 1
    fi
    sleep 1
  done
  setup_log "Docker engine is up: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
}

ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    setup_log "the .NET 10 SDK (dotnet) is not on PATH; install it first (https://dot.net)"; return 1
  fi
}

ensure_executor_image() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  EXECUTOR_IMAGE=$("$root/docker/executor/build.sh" | tail -n 1)
  export EXECUTOR_IMAGE
  setup_log "executor image: $EXECUTOR_IMAGE"
}

# The egress proxy image (Debian's squid and the allow-list helper; docker/egress-proxy/build.sh, skipped when its
# input-hash tag exists): the service starts it when restricted egress is enabled, and the egress tests need it.
ensure_egress_proxy_image() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  EGRESS_PROXY_IMAGE=$("$root/docker/egress-proxy/build.sh" | tail -n 1)
  export EGRESS_PROXY_IMAGE
  setup_log "egress proxy image: $EGRESS_PROXY_IMAGE"
}

# A real registry on loopback lets the tests exercise the image pull path (the service never needs it).
ensure_test_registry() {
  command -v docker-registry >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    setup_log "docker-registry is missing (the pull test needs it) and installing it needs root"; return 0
  fi
  setup_log "installing docker-registry (Debian package) for the pull test"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >&2; }
}

# The Kubernetes manifests test renders deploy/kubernetes offline with `kubectl kustomize` (no cluster
# is needed or reached): Debian's kubectl is installed when it is missing.
ensure_kubectl() {
  command -v kubectl >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    setup_log "kubectl is missing (the Kubernetes manifests test needs it) and installing it needs root"; return 0
  fi
  setup_log "installing kubectl (Debian package) for the Kubernetes manifests test"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubectl >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubectl >&2; } \
    || setup_log "kubectl could not be installed: the Kubernetes manifests test will fail saying so"
}

# deploy/compose.sh (the multi-replica tests and the failure run) needs Debian's docker-compose (1.29,
# compose file format 2.4). Without it those tests fail saying so.
ensure_docker_compose() {
  command -v docker-compose >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    setup_log "docker-compose is missing (the multi-replica tests need it) and installing it needs root"; return 0
  fi
  setup_log "installing docker-compose (Debian package) for the multi-replica tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >&2; } \
    || setup_log "docker-compose could not be installed: the multi-replica tests will fail saying so"
}

# Tests drive the service with Python's own standard library, as python clients do: http.client
# (the body-first upload), tarfile, json and urllib (python-executor's clients). python3-minimal
# lacks those modules, so the full python3 package is installed when they are missing.
ensure_test_python() {
  python3 -c 'import http.client, json, tarfile, urllib.request' >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    setup_log "python3 with its standard library is missing (the Python client tests need it) and installing it needs root"; return 0
  fi
  setup_log "installing python3 (Debian package python3) for the Python client tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >&2; }
}

# A throwaway PostgreSQL for the tests (the service itself never needs one: run.sh does not call
# this): Debian's postgresql package, installed when missing; a cluster in a temporary directory,
# listening on loopback only at a free port, run as an unprivileged user (postgres when we are root),
# with a random password. Exports TEST_DATABASE_URL (not DATABASE_URL, which would switch every
# service the tests start into PostgreSQL mode); stop_postgres removes it all (test.sh traps it).
PG_BIN=/usr/lib/postgresql/15/bin
ensure_postgres() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      setup_log "PostgreSQL 15 ($PG_BIN) is missing and installing it needs root"; return 1
    fi
    setup_log "installing PostgreSQL (Debian package postgresql) for the shared-state tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
    [ -x "$PG_BIN/initdb" ] || { setup_log "PostgreSQL is still missing after installing postgresql"; return 1; }
  fi
  local runas=()
  if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null || { setup_log "the postgres user is missing (it comes with the postgresql package)"; return 1; }
    runas=(runuser -u postgres --)
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/code-interpreter-pg.XXXXXX)
  chmod 700 "$PG_TEST_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_TEST_DIR"
  local password port
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf '%s\n' "$password" >"$PG_TEST_DIR/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_TEST_DIR/pwfile"
  if ! "${runas[@]}" "$PG_BIN/initdb" -D "$PG_TEST_DIR/data" -U codeinterpreter --pwfile="$PG_TEST_DIR/pwfile" \
      --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_TEST_DIR/initdb.log" 2>&1; then
    setup_log "initdb failed; its log:"; tail -n 20 "$PG_TEST_DIR/initdb.log" >&2; return 1
  fi
  rm -f "$PG_TEST_DIR/pwfile"
  if ! "${runas[@]}" "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TEST_DIR -c max_connections=200 -c fsync=off" start >&2; then
    setup_log "PostgreSQL did not start; its log:"; tail -n 20 "$PG_TEST_DIR/server.log" >&2; return 1
  fi
  if ! PGPASSWORD=$password "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U codeinterpreter -d postgres -qAt \
      -c 'CREATE DATABASE codeinterpreter' >&2; then
    setup_log "could not create the test database"; return 1
  fi
  export TEST_DATABASE_URL="postgres://codeinterpreter:$password@127.0.0.1:$port/codeinterpreter"
  export PG_TEST_DIR
  setup_log "PostgreSQL for the tests: 127.0.0.1:$port (cluster in $PG_TEST_DIR, removed at the end)"
}

stop_postgres() {
  [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR" ] || return 0
  local runas=()
  [ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR TEST_DATABASE_URL
}

# gVisor's runsc as an engine runtime named "runsc" (EXECUTOR_RUNTIME=runsc): Debian's package, registered
# in /etc/docker/daemon.json (merged into what is there) and the engine reloaded with SIGHUP, which keeps
# running containers. --network=none: gVisor cannot run in the host's network namespace and sandboxes
# have no network; --oci-seccomp: the service's seccomp profile applies inside gVisor too.
RUNSC_RUNTIME_ARGS='["--platform=ptrace", "--network=none", "--oci-seccomp"]'
runsc_registered() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }
ensure_runsc() {
  runsc_registered && return 0
  if [ "$(id -u)" -ne 0 ]; then
    setup_log "the runsc runtime is not registered in the Docker engine and registering it needs root"; return 1
  fi
  if ! command -v runsc >/dev/null 2>&1; then
    setup_log "installing gVisor (Debian package runsc)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q runsc >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q runsc >&2; }
  fi
  local config=/etc/docker/daemon.json runsc_path
  runsc_path=$(command -v runsc)
  mkdir -p /etc/docker
  if [ ! -s "$config" ]; then
    printf '{"runtimes": {"runsc": {"path": "%s", "runtimeArgs": %s}}}\n' "$runsc_path" "$RUNSC_RUNTIME_ARGS" >"$config"
  elif ! command -v python3 >/dev/null 2>&1; then
    setup_log "$config exists and merging runsc into it needs python3 (Debian package python3)"; return 1
  else
    python3 - "$config" "$runsc_path" "$RUNSC_RUNTIME_ARGS" <<'PY' || { setup_log "could not register runsc in $config"; return 1; }
import json, sys
path, runsc, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with open(path) as f:
    config = json.load(f)
config.setdefault("runtimes", {})["runsc"] = {"path": runsc, "runtimeArgs": args}
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY
  fi
  setup_log "registered runsc in $config; reloading the engine"
  if pgrep -x dockerd >/dev/null 2>&1; then
    kill -HUP "$(pgrep -x dockerd | head -n 1)"
  fi
  local deadline=$((SECONDS + 30))
  until runsc_registered; do
    if [ $SECONDS -ge $deadline ]; then
      setup_log "the engine did not list runsc within 30 s of the reload (a dockerd not started by these scripts reads its own config?)"; return 1
    fi
    sleep 1
  done
  setup_log "runtime runsc (gVisor $(runsc --version 2>/dev/null | head -n 1 | awk '{print $3}')) registered"
}

setup_all() {
  ensure_dotnet && ensure_engine && ensure_executor_image || return 1
  if [ "${EXECUTOR_RUNTIME:-runc}" = runsc ]; then
    ensure_runsc
  fi
}
