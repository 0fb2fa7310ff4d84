#!/usr/bin/env bash
# Manual check (not part of ./test.sh, because it restarts this machine's Docker engine under every
# other user of it): the service with a warm pool keeps answering across a real dockerd restart.
#
# Starts the published service (POOL_SIZE=4) on 127.0.0.1:8111, sends `print(6*7)` every 0.2 s,
# stops dockerd 5 s in, starts it again 3 s later, and reports: the status codes seen (503 only while
# the engine is away), the pool from /health/ready (full again), and this instance's containers
# (none stopped left within 90 s, none at all after the service stops). Exits 1 if any check fails.
# Run as root, with nothing else using the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=setup.sh
source scripts/setup.sh
setup_all
dotnet publish src/Api/CodeInterpreter.Api.csproj -c Release -o artifacts/api -nologo -v q

instance="restart-check-$$"
port=8111
base="http://127.0.0.1:$port"
work=$(mktemp -d)
log() { echo "[restart-check $(date +%T)] $*" >&2; }
containers() { docker ps -a --filter "label=code-interpreter.instance=$instance" "$@" --format '{{.ID}} {{.Status}}'; }
pool() { curl -s "$base/health/ready" || true; }

HOST=127.0.0.1 PORT=$port POOL_SIZE=4 SANDBOX_INSTANCE=$instance \
  artifacts/api/CodeInterpreter.Api >"$work/service.log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null || true' EXIT

deadline=$((SECONDS + 180))
until pool | grep -q '"ready":4'; do
  [ $SECONDS -lt $deadline ] || { log "the pool did not fill within 180 s"; exit 1; }
  sleep 0.5
done
log "before: $(pool)"

(
  for i in $(seq 100); do
    code=$(curl -s -m 60 -o "$work/body" -w '%{http_code}' -H 'content-type: application/json' \
      -d '{"code":"print(6*7)"}' "$base/v1/execute" || true)
    if [ "$code" = 200 ] && ! grep -q '"stdout":"42\\n"' "$work/body"; then code="200-wrong-output"; fi
    echo "$(date +%T.%N | cut -c1-12) $code"
    sleep 0.2
  done
) >"$work/client.log" &
client=$!

sleep 5
log "stopping dockerd"
kill -TERM "$(pgrep -x dockerd)"
while pgrep -x dockerd >/dev/null; do sleep 0.1; done
log "dockerd stopped; readiness: $(pool)"
sleep 3
ensure_engine
log "dockerd back"
wait "$client"

failed=0
log "status codes: $(awk '{print $2}' "$work/client.log" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
if awk '{print $2}' "$work/client.log" | grep -qv '^200$\|^503$'; then
  log "FAIL: a request got something other than 200 with the right output or 503"; failed=1
fi
if [ "$(tail -n 20 "$work/client.log" | awk '$2 != 200' | wc -l)" -ne 0 ]; then
  log "FAIL: requests after the engine came back did not all succeed"; failed=1
fi

deadline=$((SECONDS + 60))
until pool | grep -q '"ready":4'; do
  [ $SECONDS -lt $deadline ] || { log "FAIL: the pool did not fill again within 60 s"; failed=1; break; }
  sleep 0.5
done
log "after: $(pool)"

deadline=$((SECONDS + 90))
until [ -z "$(containers --filter status=exited --filter status=created --filter status=dead)" ]; do
  [ $SECONDS -lt $deadline ] || { log "FAIL: stopped containers still there after 90 s:"; containers >&2; failed=1; break; }
  sleep 1
done
log "stopped containers of the instance removed while the service runs"

kill -TERM "$service"; wait "$service" || true
trap - EXIT
left=$(containers)
if [ -n "$left" ]; then
  log "FAIL: containers left after the service stopped:"; echo "$left" >&2; failed=1
else
  log "no container of the instance left after the service stopped"
fi
[ "$failed" -eq 0 ] && log "PASS" || log "service log: $work/service.log"
exit "$failed"
