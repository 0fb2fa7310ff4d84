#!/usr/bin/env bash
# The service with a warm pool keeps answering across a real dockerd restart. It restarts this
# machine's Docker engine under every other user of it, so ./test.sh runs it last, and only in CI
# (CI=true) or when asked (ENGINE_RESTART_CHECK=1). Run as root, with nothing else using the engine.
#
# Starts the published service (POOL_SIZE=4) on 127.0.0.1:8111, sends `print(6*7)` every 0.2 s and,
# just before the engine stops, one long execution (it sleeps 20 s) that the stop cuts off. Stops
# dockerd 5 s in, starts it again 3 s later, and reports: the status codes seen (503 only while the
# engine is away; the cut-off execution answers 503 or, had it finished, its right output, never a
# made-up result), the pool from /health/ready (full again), and this instance's containers (none
# stopped left within 90 s, none at all after the service stops). Exits 1 if any check fails.
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

# The client sends until told to stop, and marks in its log when it learns the service is ready again.
(
  while [ ! -e "$work/stop" ]; do
    if [ -e "$work/recovered" ] && [ ! -e "$work/marked" ]; then echo "recovered"; touch "$work/marked"; fi
    code=$(curl -s -m 60 -o "$work/body" -w '%{http_code}' -H 'content-type: application/json' \
      -d '{"code":"print(6*7)"}' "$base/v1/execute" || true)
    if [ "$code" = 200 ] && ! grep -q '"stdout":"42\\n"' "$work/body"; then code="200-wrong-output"; fi
    echo "$(date +%T.%N | cut -c1-12) $code"
    sleep 0.2
  done
) >"$work/client.log" &
client=$!

sleep 4
curl -s -m 90 -o "$work/long.body" -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"code":"import time\nprint(\"begun\", flush=True)\ntime.sleep(20)\nprint(\"done\")","timeout_ms":40000}' \
  "$base/v1/execute" >"$work/long.code" 2>/dev/null &
long=$!
# Either outcome is checked below, so this only makes the cut-off likely (a warm lease takes ms).
sleep 1
# The engine this machine runs (its pid file), not one inside a Docker-in-Docker container.
engine_pid=$(cat /var/run/docker.pid 2>/dev/null || pgrep -o -x dockerd)
log "stopping dockerd (pid $engine_pid)"
kill -TERM "$engine_pid"
while kill -0 "$engine_pid" 2>/dev/null; do sleep 0.1; done
log "dockerd stopped; readiness: $(pool)"
sleep 3
ensure_engine
log "dockerd back"
# The service pings an engine that does not answer every 2 s at most, so it is ready again soon after.
back=$SECONDS
until pool | grep -q '"status":"ready"'; do
  [ $((SECONDS - back)) -lt 10 ] || { log "FAIL: the service was not ready again within 10 s of the engine"; touch "$work/stop"; exit 1; }
  sleep 0.1
done
log "service ready again $((SECONDS - back)) s after the engine: $(pool)"
touch "$work/recovered"
# The client's lines after its "recovered" mark: the requests sent once the service was ready again.
since_recovery() { sed -n '/^recovered$/,$p' "$work/client.log" | grep -v '^recovered$' || true; }
deadline=$((SECONDS + 60))
until [ "$(since_recovery | wc -l)" -ge 20 ]; do
  [ $SECONDS -lt $deadline ] || { log "FAIL: fewer than 20 requests within 60 s after the service was ready again"; break; }
  sleep 0.2
done
touch "$work/stop"
wait "$client"
wait "$long" || true

failed=0
long_code=$(cat "$work/long.code")
log "the execution cut off by the stop answered $long_code: $(head -c 300 "$work/long.body")"
if [ "$long_code" != 503 ] && ! { [ "$long_code" = 200 ] && grep -q '"stdout":"begun\\ndone\\n"' "$work/long.body"; }; then
  log "FAIL: the cut-off execution answered neither 503 nor its full output"; failed=1
fi
statuses() { grep -v '^recovered$' | awk '{print $2}'; }
log "status codes: $(statuses <"$work/client.log" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
if statuses <"$work/client.log" | grep -qv '^200$\|^503$'; then
  log "FAIL: a request got something other than 200 with the right output or 503"; failed=1
fi
after=$(since_recovery | statuses)
log "after the service was ready again: $(echo "$after" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
if [ -z "$after" ] || echo "$after" | grep -qv '^200$'; then
  log "FAIL: requests after the service was ready again did not all succeed"; failed=1
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
