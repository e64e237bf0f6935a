# Shared by the bench scripts (sourced, not run). The caller defines die().
# shellcheck shell=bash

# A loopback port with no listener right now (the server start retries when
# another process takes it first).
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free loopback port found"
}

# wait_http PID URL [LOG LINE]: until URL answers 200 (and LOG holds LINE,
# proof that PID, not another process, owns the port), or PID exits
# (returns 1).
wait_http() {
  local pid=$1 url=$2 log=${3:-} line=${4:-}
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || return 1
    if { [ -z "$log" ] || grep -qxF "$line" "$log"; } && curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  die "$url did not answer within 10 s"
}
