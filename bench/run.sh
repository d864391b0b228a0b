#!/usr/bin/env bash
# Benchmarks: `bash bench/run.sh --quick` (tiny model, CPU, a few minutes) prints `name: value` lines;
# `--full` also writes bench/results/report.json and a latency/throughput chart (load.png).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run --project bench/Gateway.Bench -c Release -- "${@:---quick}"
