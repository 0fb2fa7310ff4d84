#!/usr/bin/env bash
# Brings deploy/compose.yaml up and down: PostgreSQL, three API replicas (DooD) and a load balancer.
#
#   deploy/compose.sh up     builds the images that are missing with our scripts (executor, API DooD,
#                            infrastructure), `docker-compose up -d`, and waits until the load balancer
#                            answers GET /health/ready with 200 (COMPOSE_UP_TIMEOUT_SEC, default 300)
#   deploy/compose.sh down   removes the replicas, their sandboxes and package volumes, the database
#                            and its volume, and the load balancer
#
# COMPOSE_VARIANT=dind uses compose.dind.yaml instead: Docker-in-Docker replicas (privileged, each its
# own engine) on the preloaded image (./build-preloaded.sh), not used by the tests.
# LB_PORT (8080) and LB_ADDRESS (127.0.0.1) set where the load balancer listens; COMPOSE_PROJECT_NAME
# (code-interpreter) names the deployment, so several can run side by side. The settings compose.yaml
# passes on (API_KEYS, POOL_SIZE, REPLICA_TIMEOUT_SEC, ...) are read from the environment.
# Needs Debian's docker-compose (scripts/setup.sh: ensure_docker_compose).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-code-interpreter}
export LB_PORT=${LB_PORT:-8080} LB_ADDRESS=${LB_ADDRESS:-127.0.0.1}
replicas=(api1 api2 api3)
variant=${COMPOSE_VARIANT:-dood}
case "$variant" in
  dood) compose_file=$here/compose.yaml ;;
  dind) compose_file=$here/compose.dind.yaml ;;
  *) echo "COMPOSE_VARIANT must be dood or dind" >&2; exit 2 ;;
esac

log() { echo "[compose] $*" >&2; }

compose() { docker-compose --ansi never -f "$compose_file" -p "$COMPOSE_PROJECT_NAME" "$@"; }

lb_url() {
  local host=$LB_ADDRESS
  [ "$host" = 0.0.0.0 ] && host=127.0.0.1
  echo "http://$host:$LB_PORT"
}

up() {
  command -v docker-compose >/dev/null || { log "docker-compose is missing: source scripts/setup.sh && ensure_docker_compose"; exit 1; }
  local started=$SECONDS timeout=${COMPOSE_UP_TIMEOUT_SEC:-300}
  # Images: each script skips a build whose input-hash tag exists.
  export EXECUTOR_IMAGE=${EXECUTOR_IMAGE:-$("$root/docker/executor/build.sh" | tail -n 1)}
  if [ "$variant" = dind ]; then
    export API_DIND_IMAGE=${API_DIND_IMAGE:-$("$root/build-preloaded.sh" | tail -n 1)}
  else
    export API_IMAGE=${API_IMAGE:-$(SKIP_NESTED_DOCKER=1 "$root/docker/build.sh" | tail -n 1)}
  fi
  export INFRA_IMAGE=${INFRA_IMAGE:-$("$root/docker/infra/build.sh" | tail -n 1)}
  log "images ready after $((SECONDS - started)) s: ${API_IMAGE:-$API_DIND_IMAGE}, $INFRA_IMAGE, sandboxes $EXECUTOR_IMAGE"
  local compose_started=$SECONDS
  compose up -d >&2
  local url deadline=$((SECONDS + timeout))
  url=$(lb_url)
  until curl -fsS -o /dev/null --max-time 2 "$url/health/ready" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "the load balancer did not answer $url/health/ready within $timeout s; state and recent logs:"
      compose ps >&2 || true
      compose logs --tail 30 >&2 || true
      exit 1
    fi
    sleep 1
  done
  log "up: $url answers /health/ready ($((SECONDS - compose_started)) s after docker-compose up, $((SECONDS - started)) s in all)"
  echo "$url"
}

down() {
  if command -v docker-compose >/dev/null; then
    compose down --volumes --remove-orphans --timeout 40 >&2
  else
    log "docker-compose is missing; removing by the compose labels"
    docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" | xargs -r docker rm -f >/dev/null
    docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" | xargs -r docker volume rm >/dev/null
  fi
  # A replica that was killed could not remove its sandboxes and package volumes: they carry its instance label.
  local replica instance
  for replica in "${replicas[@]}"; do
    instance="$COMPOSE_PROJECT_NAME-$replica"
    docker ps -aq --filter "label=code-interpreter.instance=$instance" | xargs -r docker rm -f >/dev/null
    docker volume ls -q --filter "label=code-interpreter.instance=$instance" | xargs -r docker volume rm -f >/dev/null
  done
  log "down: $COMPOSE_PROJECT_NAME removed (replicas, sandboxes, database, volumes)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
