#!/usr/bin/env bash
# Benchmarks the service on this machine: sets up what is missing (Docker engine, executor image),
# publishes the service, then runs bench/CodeInterpreter.Bench, which starts the service itself
# (pool on, the --baseline-api-dll build if given, pool off) and prints markdown tables. Arguments go
# to the benchmark (--quick, --pool-size N, --baseline-api-dll PATH, --baseline-image IMAGE, --help). Progress goes to
# stderr, the report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/setup.sh
source scripts/setup.sh
setup_all

dotnet publish src/Api/CodeInterpreter.Api.csproj -c Release -o artifacts/api -nologo -v q
exec dotnet run --project bench/CodeInterpreter.Bench -c Release -- "$@"
