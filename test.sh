#!/usr/bin/env bash
# Sets up what is missing (Docker engine, executor image, a throwaway PostgreSQL), builds, and runs every test against the
# real engine. Ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
setup_all
ensure_test_registry
ensure_test_python
ensure_kubectl   # renders deploy/kubernetes offline for the manifests test
ensure_docker_compose   # deploy/compose.sh: the multi-replica tests and the failure run
ensure_runsc   # the security tests run under runc and under gVisor
ensure_egress_proxy_image   # the egress tests start the real proxy: a build that fails stops the run
# The shared-state tests run against a real PostgreSQL (TEST_DATABASE_URL): never skipped, so a
# cluster that cannot start fails the run here.
trap stop_postgres EXIT
ensure_postgres

results=.test-results
rm -rf "$results"
mkdir -p "$results"
dotnet build CodeInterpreter.sln -c Release -nologo -v q
sandboxes() { docker ps -aq --no-trunc --filter label=code-interpreter.sandbox=true | sort; }
sandboxes_before=$(sandboxes)
status=0
# The console output is also kept: a fixture's set-up or tear-down that fails is counted in the trx
# files but is no test result there, so its name is read from this log at the end.
dotnet test CodeInterpreter.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  > >(tee "$results/console.log") 2>&1 || status=$?

# Every test removes what it starts; anything left is a leak worth seeing (then cleaned up).
leaked=$(comm -13 <(echo "$sandboxes_before") <(sandboxes) | sed '/^$/d')
if [ -n "$leaked" ]; then
  echo "[test] $(echo "$leaked" | wc -l) sandbox container(s) left behind by the tests; removing them" >&2
  docker ps -a --no-trunc --filter label=code-interpreter.sandbox=true \
    --format '{{.ID}} {{.Status}} {{.Labels}}' | grep -F -f <(echo "$leaked") >&2 || true
  echo "$leaked" | xargs -r docker rm -f >/dev/null 2>&1 || true
else
  echo "[test] no sandbox container left behind" >&2
fi

# Last, with no test left using the engine: the service across a real engine restart. It restarts
# this machine's dockerd under every other user of it, so only in CI or when asked.
restart_passed=0; restart_failed=0
if [ "${CI:-}" = true ] || [ "${ENGINE_RESTART_CHECK:-0}" = 1 ]; then
  echo "[test] engine restart check (scripts/check-engine-restart.sh)" >&2
  if scripts/check-engine-restart.sh >"$results/engine-restart.log" 2>&1; then
    restart_passed=1
  else
    restart_failed=1
  fi
  grep '^\[restart-check' "$results/engine-restart.log" >&2 || tail -n 40 "$results/engine-restart.log" >&2
else
  echo "[test] engine restart check not run: it restarts this machine's Docker engine (CI=true or ENGINE_RESTART_CHECK=1 runs it)" >&2
fi

passed=$restart_passed; failed=$restart_failed
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(echo "$counters" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
  e=$(echo "$counters" | grep -o ' error="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
  # The failed tests by name, last, where a log cut to its tail still shows them.
  grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\)"[^>]*>' "$trx" \
    | sed -n 's/.* testName="\([^"]*\)".*/[test] FAILED \1/p' >&2 || true
done
grep -E '^(OneTimeSetUp|SetUp|TearDown|OneTimeTearDown)( failed| :)' "$results/console.log" 2>/dev/null \
  | grep ' failed for test fixture ' | sed 's/^/[test] FAILED /' >&2 || true
[ "$restart_failed" -eq 0 ] || echo "[test] FAILED engine restart check (see $results/engine-restart.log)" >&2
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the run failed without a failed test (build or host error): never report green
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
