#!/usr/bin/env bash
# Sets up what is missing (Docker engine, executor image, build) and starts the service on
# http://127.0.0.1:8000 (HOST and PORT override).
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
setup_all
# Restricted egress (ALLOW_NETWORK with EGRESS_ALLOW_HOSTS) needs the egress proxy image.
if [ -n "${EGRESS_ALLOW_HOSTS:-}" ]; then ensure_egress_proxy_image; fi

dotnet publish src/Api/CodeInterpreter.Api.csproj -c Release -o artifacts/api -nologo -v q
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}"
echo "[run] serving on http://$HOST:$PORT (API docs: http://$HOST:$PORT/docs)" >&2
exec dotnet artifacts/api/CodeInterpreter.Api.dll
